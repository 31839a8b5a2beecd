import type { AttemptRecord } from "../schema/index.js";
import { formatDuration } from "./duration.js";
import { maskSecrets } from "./mask.js";

/** One line per attempt, with its host, so a lane retried on another host shows both tries. */
export function attemptLines(attempts: readonly AttemptRecord[], secrets: readonly string[] = []): string[] {
  return attempts.map((a) => {
    const where = a.host ? ` on \`${a.host}\`` : "";
    const ms = a.finished_at ? Date.parse(a.finished_at) - Date.parse(a.started_at) : null;
    const took = ms === null ? "" : ` after ${formatDuration(Math.max(0, ms))}`;
    const kind = a.failure_kind ? ` (${a.failure_kind.replaceAll("_", " ")})` : "";
    const why =
      a.message && a.status !== "passed" ? `: ${maskSecrets(a.message, secrets).split("\n")[0]}` : "";
    return `- attempt ${a.attempt}${where}: ${a.status}${kind}${took}${why}`;
  });
}

/** The summary's attempts section: only when the lane was tried more than once. */
export function renderAttempts(
  attempts: readonly AttemptRecord[] | undefined,
  secrets: readonly string[] = [],
): string {
  if (!attempts || attempts.length < 2) return "";
  return ["**Attempts**", "", ...attemptLines(attempts, secrets)].join("\n");
}
