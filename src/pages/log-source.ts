import { open } from "node:fs/promises";
import type { LogKind, StateStore } from "../store/index.js";
import { type LogTail, TAIL_MAX_BYTES, tailOfLog } from "./log-tail.js";

export type LogStore = Pick<StateStore, "hostLogPath" | "guestLogPath">;

/**
 * Read only the end of a log from disk: a page for a run with megabytes of logs reads kilobytes.
 * Returns null when the log does not exist.
 */
export async function readLogTail(
  store: LogStore,
  runId: string,
  jobId: string,
  kind: LogKind,
): Promise<LogTail | null> {
  const file = kind === "host" ? store.hostLogPath(runId, jobId) : store.guestLogPath(runId, jobId);
  let handle: Awaited<ReturnType<typeof open>>;
  try {
    handle = await open(file, "r");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return null;
    throw error;
  }
  try {
    const { size } = await handle.stat();
    // One extra KB so the partial first line can be dropped without going under the byte budget by much.
    const length = Math.min(size, TAIL_MAX_BYTES + 1024);
    const buffer = Buffer.alloc(length);
    const { bytesRead } = await handle.read(buffer, 0, length, size - length);
    return tailOfLog(buffer.subarray(0, bytesRead), size);
  } finally {
    await handle.close();
  }
}
