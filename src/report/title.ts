import type { Conclusion } from "../github/checks.js";
import type { FailureKind, JobStatus } from "../schema/index.js";
import { truncateChars } from "./bytes.js";
import { formatDuration, formatTimeout } from "./duration.js";
import { CHECK_TITLE_MAX_CHARS } from "./limits.js";

/** The facts a title and a conclusion are made from (a narrow slice of JobRecord). */
export interface LaneResult {
  status: JobStatus;
  failure_kind: FailureKind | null;
  exit_code: number | null;
  duration_ms?: number | null;
  timeout_secs: number;
  message: string | null;
}

export function conclusionFor(result: Pick<LaneResult, "status" | "failure_kind">): Conclusion {
  switch (result.status) {
    case "passed":
      return "success";
    case "skipped":
      return "skipped";
    case "cancelled":
      return "cancelled";
    case "failed":
      return result.failure_kind === "timeout" ? "timed_out" : "failure";
    default:
      // queued/running at the end means the run stopped under it: never report that as success.
      return "failure";
  }
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? "" : "s"}`;
}

/** The first line of a message, which is what a person reads in a title. */
function firstLine(text: string): string {
  return (
    text
      .split("\n")
      .find((l) => l.trim() !== "")
      ?.trim() ?? ""
  );
}

/**
 * One line saying what happened: "Passed in 1m02s", "3 tests failed in 2m14s",
 * "Failed (exit 3) in 2m14s", "Timed out after 30m", "Infrastructure error: build host unreachable".
 */
export function laneTitle(result: LaneResult, failedTests?: number): string {
  const took = formatDuration(result.duration_ms);
  let title: string;
  switch (result.status) {
    case "passed":
      title = `Passed in ${took}`;
      break;
    case "skipped":
      title = result.message ? `Skipped: ${firstLine(result.message)}` : "Skipped";
      break;
    case "cancelled":
      title = result.duration_ms ? `Cancelled after ${took}` : "Cancelled";
      break;
    case "failed":
      if (result.failure_kind === "timeout") title = `Timed out after ${formatTimeout(result.timeout_secs)}`;
      else if (result.failure_kind === "infrastructure")
        title = `Infrastructure error: ${firstLine(result.message ?? "") || "unknown"}`;
      else if (failedTests !== undefined && failedTests > 0)
        title = `${plural(failedTests, "test")} failed in ${took}`;
      else if (result.exit_code !== null) title = `Failed (exit ${result.exit_code}) in ${took}`;
      else title = `Failed in ${took}`;
      break;
    default:
      title = `Did not finish${result.message ? `: ${firstLine(result.message)}` : ""}`;
  }
  return truncateChars(title, CHECK_TITLE_MAX_CHARS);
}
