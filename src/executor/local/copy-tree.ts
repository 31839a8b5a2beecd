import { chmod, constants, copyFile, mkdir, symlink } from "node:fs/promises";
import { dirname, join } from "node:path";

/** The part of a snapshot entry a copy needs. Paths are relative, `/`-separated, already validated. */
export interface CopyEntry {
  path: string;
  type: "file" | "dir" | "symlink";
  /** Permission bits; only the exec bit matters to a lane. */
  mode?: number;
  target?: string;
}

export interface CopyStats {
  files: number;
  bytes: number;
}

/**
 * Materialise a snapshot's entries under `dest`. Files are cloned where the filesystem can
 * (copy-on-write), copied otherwise; the source is only read.
 */
export async function copyTree(
  source: string,
  dest: string,
  entries: readonly CopyEntry[],
  sizeOf: (entry: CopyEntry) => number = () => 0,
): Promise<CopyStats> {
  const made = new Set<string>();
  const ensureDir = async (dir: string): Promise<void> => {
    if (made.has(dir)) return;
    await mkdir(dir, { recursive: true });
    made.add(dir);
  };
  let files = 0;
  let bytes = 0;
  for (const entry of entries) {
    const to = join(dest, entry.path);
    if (entry.type === "dir") {
      await ensureDir(to);
      continue;
    }
    await ensureDir(dirname(to));
    if (entry.type === "symlink") {
      await symlink(entry.target ?? "", to);
      continue;
    }
    await copyFile(join(source, entry.path), to, constants.COPYFILE_FICLONE);
    if (entry.mode !== undefined) await chmod(to, entry.mode & 0o777);
    files += 1;
    bytes += sizeOf(entry);
  }
  return { files, bytes };
}
