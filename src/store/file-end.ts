import { open } from "node:fs/promises";

/**
 * The last `maxBytes` of a file and the file's whole size, or null when it does not exist: the one
 * way pikaci reads the end of a log, so a log of gigabytes costs a tail kilobytes.
 */
export async function readFileEnd(
  file: string,
  maxBytes: number,
): Promise<{ bytes: Buffer; size: number } | null> {
  let handle: Awaited<ReturnType<typeof open>>;
  try {
    handle = await open(file, "r");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return null;
    throw error;
  }
  try {
    const { size } = await handle.stat();
    const length = Math.min(size, maxBytes);
    const buffer = Buffer.alloc(length);
    const { bytesRead } = await handle.read(buffer, 0, length, size - length);
    return { bytes: buffer.subarray(0, bytesRead), size };
  } finally {
    await handle.close();
  }
}
