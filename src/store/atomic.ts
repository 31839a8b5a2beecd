import { randomBytes } from "node:crypto";
import { open, rename, unlink } from "node:fs/promises";
import path from "node:path";

/**
 * Write a file so that readers see either the old or the new content, never a torn one, even
 * when the writer is killed with SIGKILL: a temp file in the same directory (same filesystem,
 * so rename is atomic), fsync, then rename over the target. The temp name starts with `.` and
 * ends in `.tmp` so listings and gc can tell it apart.
 */
export async function atomicWriteFile(target: string, data: string | Uint8Array): Promise<void> {
  const dir = path.dirname(target);
  const temp = path.join(
    dir,
    `.${path.basename(target)}.${process.pid}.${randomBytes(4).toString("hex")}.tmp`,
  );
  try {
    const handle = await open(temp, "wx", 0o644);
    try {
      await handle.writeFile(data);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(temp, target);
  } catch (error) {
    await unlink(temp).catch(() => {});
    throw error;
  }
  await syncDirectory(dir);
}

/** Make the rename itself durable across a power loss; best effort where directories cannot be opened. */
async function syncDirectory(dir: string): Promise<void> {
  try {
    const handle = await open(dir, "r");
    try {
      await handle.sync();
    } finally {
      await handle.close();
    }
  } catch {
    // Some filesystems refuse fsync on a directory; atomicity does not depend on it.
  }
}

export function isTempFileName(name: string): boolean {
  return name.startsWith(".") && name.endsWith(".tmp");
}
