import { chmod, constants, copyFile, mkdir, symlink } from "node:fs/promises";
import { dirname, join } from "node:path";
import { asSnapshotChange, SnapshotChangedError } from "../../errors/index.js";
import { hashFiles } from "../../snapshot/digest.js";
import type { FileEntry, Snapshot } from "../../snapshot/entries.js";

export interface CopyStats {
  files: number;
  bytes: number;
}

/**
 * Materialise the run's snapshot under `dest`, from its entries as the run built them (the
 * workspace is never listed again). Files are cloned where the filesystem can (copy-on-write),
 * copied otherwise; the source is only read. Each copy is then hashed: a file edited since the
 * snapshot was hashed fails the job (SnapshotChangedError) instead of running code the record
 * does not name.
 */
export async function copySnapshot(
  snapshot: Pick<Snapshot, "root" | "hash" | "entries">,
  dest: string,
): Promise<CopyStats> {
  const made = new Set<string>();
  const ensureDir = async (dir: string): Promise<void> => {
    if (made.has(dir)) return;
    await mkdir(dir, { recursive: true });
    made.add(dir);
  };
  const files: FileEntry[] = [];
  for (const entry of snapshot.entries) {
    const to = join(dest, entry.path);
    if (entry.type === "dir") {
      await ensureDir(to);
      continue;
    }
    await ensureDir(dirname(to));
    if (entry.type === "symlink") {
      await symlink(entry.target, to);
      continue;
    }
    await copyFile(join(snapshot.root, entry.path), to, constants.COPYFILE_FICLONE).catch(
      (error: unknown) => {
        throw asSnapshotChange(error, entry.path, snapshot.hash);
      },
    );
    await chmod(to, entry.exec ? 0o755 : 0o644);
    files.push(entry);
  }
  await verifyCopies(files, dest, snapshot.hash);
  return { files: files.length, bytes: files.reduce((sum, entry) => sum + entry.size, 0) };
}

/** Hashes the copies (hot in the page cache), not the workspace: what the lane will read is checked. */
async function verifyCopies(files: readonly FileEntry[], dest: string, snapshotHash: string): Promise<void> {
  await hashFiles({
    root: dest,
    files,
    onDigest: (i, copy) => {
      const entry = files[i]!;
      if (copy.digest !== entry.digest || copy.size !== entry.size) {
        throw new SnapshotChangedError(entry.path, snapshotHash);
      }
    },
  });
}
