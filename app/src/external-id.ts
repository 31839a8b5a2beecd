import { ID_PATTERN, RUN_ID_PATTERN } from "../../src/schema/index.js";

/**
 * A check run's `external_id` is the durable map from a GitHub check back to pikaci:
 * `pikaci:<run_id>:<lane>:<pr>` plus `:fork` for a pull request from a fork. Checks of a
 * fork's commit come back with an empty `pull_requests`, so the PR number must live here.
 */
export interface ExternalRef {
  runId: string;
  /** A lane id, or CONFIG_CHECK_NAME for the config check. */
  lane: string;
  pr: number;
  fork: boolean;
}

export const CONFIG_CHECK_NAME = "pikaci/config";
/** GitHub does not document a limit; keep well under the usual 255-character column. */
export const EXTERNAL_ID_MAX_LENGTH = 255;
const PREFIX = "pikaci";

export function encodeExternalId(ref: ExternalRef): string {
  if (!RUN_ID_PATTERN.test(ref.runId)) throw new Error(`not a run id: ${ref.runId}`);
  if (!isLaneToken(ref.lane)) throw new Error(`not a lane id: ${ref.lane}`);
  if (!Number.isSafeInteger(ref.pr) || ref.pr <= 0) throw new Error(`not a pull request number: ${ref.pr}`);
  const id = [PREFIX, ref.runId, ref.lane, String(ref.pr), ...(ref.fork ? ["fork"] : [])].join(":");
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
  if (!/^[1-9]\d{0,15}$/.test(pr)) return null;
  if (fork !== undefined && fork !== "fork") return null;
  return { runId, lane, pr: Number(pr), fork: fork === "fork" };
}

function isLaneToken(lane: string): boolean {
  return lane === CONFIG_CHECK_NAME || (lane.length <= 64 && ID_PATTERN.test(lane));
}
