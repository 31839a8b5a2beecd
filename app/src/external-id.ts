import { ID_PATTERN, RUN_ID_PATTERN } from "../../src/schema/index.js";

/**
 * A check run's `external_id` is the durable map from a GitHub check back to pikaci:
 * `pikaci:<run_id>:<lane>:<pr>` plus `:fork` for a pull request from a fork. Checks of a
 * fork's commit come back with an empty `pull_requests`, so the PR number must live here.
 * A push's lanes carry `push` and a merge queue group's `merge_group` in place of the number.
 */
export interface ExternalRef {
  runId: string;
  /** A lane id, or CONFIG_CHECK_NAME for the config check. */
  lane: string;
  /** The pull request number; 0 for a push or a merge group (see `event`). */
  pr: number;
  fork: boolean;
  /** What started the run; absent means `pull_request`. */
  event?: RunEvent;
}

export type RunEvent = "pull_request" | "push" | "merge_group";
const NON_PR_EVENTS = new Set<string>(["push", "merge_group"]);

export function eventOf(ref: Pick<ExternalRef, "event">): RunEvent {
  return ref.event ?? "pull_request";
}

export const CONFIG_CHECK_NAME = "pikaci/config";
/** GitHub does not document a limit; keep well under the usual 255-character column. */
export const EXTERNAL_ID_MAX_LENGTH = 255;
const PREFIX = "pikaci";

export function encodeExternalId(ref: ExternalRef): string {
  if (!RUN_ID_PATTERN.test(ref.runId)) throw new Error(`not a run id: ${ref.runId}`);
  if (!isLaneToken(ref.lane)) throw new Error(`not a lane id: ${ref.lane}`);
  const event = eventOf(ref);
  if (event === "pull_request" && (!Number.isSafeInteger(ref.pr) || ref.pr <= 0))
    throw new Error(`not a pull request number: ${ref.pr}`);
  if (event !== "pull_request" && (ref.pr !== 0 || ref.fork))
    throw new Error(`a ${event} run has no pull request and is never a fork's`);
  const who = event === "pull_request" ? String(ref.pr) : event;
  const id = [PREFIX, ref.runId, ref.lane, who, ...(ref.fork ? ["fork"] : [])].join(":");
  if (id.length > EXTERNAL_ID_MAX_LENGTH)
    throw new Error(`external_id longer than ${EXTERNAL_ID_MAX_LENGTH}`);
  return id;
}

/** null for anything that is not ours (another app's check, or a hand-made external_id). */
export function decodeExternalId(value: string | null | undefined): ExternalRef | null {
  if (!value || value.length > EXTERNAL_ID_MAX_LENGTH) return null;
  const parts = value.split(":");
  if (parts.length !== 4 && parts.length !== 5) return null;
  const [prefix, runId, lane, pr, fork] = parts as [string, string, string, string, string | undefined];
  if (prefix !== PREFIX || !RUN_ID_PATTERN.test(runId) || !isLaneToken(lane)) return null;
  if (NON_PR_EVENTS.has(pr)) {
    if (fork !== undefined) return null;
    return { runId, lane, pr: 0, fork: false, event: pr as RunEvent };
  }
  if (!/^[1-9]\d{0,15}$/.test(pr)) return null;
  if (fork !== undefined && fork !== "fork") return null;
  return { runId, lane, pr: Number(pr), fork: fork === "fork" };
}

function isLaneToken(lane: string): boolean {
  return lane === CONFIG_CHECK_NAME || (lane.length <= 64 && ID_PATTERN.test(lane));
}
