import { GuestResult } from "../../schema/index.js";
import type { JobOutcome } from "../executor.js";

/** Everything the host knows when a job ends; classification is a pure function of it. */
export interface JobEnding {
  aborted: boolean;
  /** The host-side deadline (timeout + grace) fired and the instance was killed. */
  hostDeadline: boolean;
  /** An infrastructure failure before or during the guest run (ssh, incus, disk). */
  error: string | null;
  /** The runner's exit code as seen by `incus exec`, when it returned. */
  runnerExit: number | null;
  /** The raw text of result.json, or null when there was none. */
  resultText: string | null;
  timeoutSecs: number;
}

export type Verdict = Pick<JobOutcome, "status" | "failure_kind" | "exit_code" | "message">;

const RUNNER_TIMEOUT = 124;
const RUNNER_BOOTSTRAP = 2;

/**
 * The failure semantics: the guest ran and its command exited non-zero → test_failure;
 * killed by a deadline (runner 124 or the host's) → timeout; anything else → infrastructure.
 */
export function classifyEnding(ending: JobEnding): Verdict {
  if (ending.aborted)
    return { status: "cancelled", failure_kind: null, exit_code: null, message: "cancelled" };
  if (ending.hostDeadline) {
    return timeout(`timed out after ${ending.timeoutSecs}s (the host-side deadline killed the instance)`);
  }
  if (ending.error !== null) return infrastructure(ending.error);
  const result = parseResult(ending.resultText);
  if (result === null) {
    const exit = ending.runnerExit === null ? "did not report an exit code" : `exited ${ending.runnerExit}`;
    if (ending.runnerExit === RUNNER_TIMEOUT) return timeout(`timed out after ${ending.timeoutSecs}s`);
    return infrastructure(
      `the guest runner wrote no valid result.json (runner ${exit}); the image may lack pikaci-incus-run or /artifacts is not writable`,
    );
  }
  if (result.status === "passed" && result.exit_code === 0) {
    return { status: "passed", failure_kind: null, exit_code: 0, message: null };
  }
  if (result.exit_code === RUNNER_TIMEOUT)
    return timeout(result.message || `timed out after ${ending.timeoutSecs}s`);
  if (result.exit_code === RUNNER_BOOTSTRAP && result.message.startsWith("bootstrap error")) {
    return infrastructure(`guest runner ${result.message}`);
  }
  return {
    status: "failed",
    failure_kind: "test_failure",
    exit_code: result.exit_code,
    message: result.message,
  };
}

function parseResult(text: string | null): GuestResult | null {
  if (text === null || text.trim() === "") return null;
  try {
    const parsed = GuestResult.safeParse(JSON.parse(text));
    return parsed.success ? parsed.data : null;
  } catch {
    return null;
  }
}

const timeout = (message: string): Verdict => ({
  status: "failed",
  failure_kind: "timeout",
  exit_code: null,
  message,
});
const infrastructure = (message: string): Verdict => ({
  status: "failed",
  failure_kind: "infrastructure",
  exit_code: null,
  message,
});
