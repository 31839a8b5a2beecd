import { type LogKind, readFileEnd, type StateStore } from "../store/index.js";
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
  // One extra KB so the partial first line can be dropped without going under the byte budget by much.
  const end = await readFileEnd(file, TAIL_MAX_BYTES + 1024);
  return end && tailOfLog(end.bytes, end.size);
}
