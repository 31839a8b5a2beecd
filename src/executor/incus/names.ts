import { createHash } from "node:crypto";
import { hostname } from "node:os";
import { DEVICE_NAME_MAX } from "../../incus/argv.js";

/** Every pikaci instance starts with this, so `gc` and people can find them. */
export const INSTANCE_PREFIX = "pikaci-";

/** Labels on each instance: what `pikaci gc` reads to decide whether its run is still alive. */
export const LABEL = {
  runId: "user.pikaci.run_id",
  jobId: "user.pikaci.job_id",
  attempt: "user.pikaci.attempt",
  createdAt: "user.pikaci.created_at",
  owner: "user.pikaci.owner",
  remoteWorkDir: "user.pikaci.remote_work_dir",
} as const;

/**
 * Who launched an instance (`user.pikaci.owner`): this process, as `hostname:pid`. Matrix jobs of one
 * dispatch share a run id, so only the owner tells this process's instances from a sibling's.
 */
export function processOwner(): string {
  return `${hostname()}:${process.pid}`;
}

const sha256Hex = (text: string): string => createHash("sha256").update(text).digest("hex");

/** `pikaci-<12 hex>` of sha256("<run_id>:<job_id>"): stable per job, so a retry finds its leftover. */
export function instanceName(runId: string, jobId: string): string {
  return `${INSTANCE_PREFIX}${sha256Hex(`${runId}:${jobId}`).slice(0, 12)}`;
}

/** `pk-<kind>-<8 hex of key>`: unique per mount, and within Incus's 20-character device-name limit. */
export function deviceName(kind: "snap" | "art" | "cache" | "mnt", key: string): string {
  const name = `pk-${kind}-${sha256Hex(key).slice(0, 8)}`;
  if (name.length > DEVICE_NAME_MAX) throw new Error(`device name ${name} is longer than ${DEVICE_NAME_MAX}`);
  return name;
}

export function instanceLabels(params: {
  runId: string;
  jobId: string;
  attempt: number;
  createdAt: Date;
  owner: string;
  remoteWorkDir: string;
}): Record<string, string> {
  return {
    [LABEL.runId]: params.runId,
    [LABEL.jobId]: params.jobId,
    [LABEL.attempt]: String(params.attempt),
    [LABEL.createdAt]: params.createdAt.toISOString(),
    [LABEL.owner]: params.owner,
    [LABEL.remoteWorkDir]: params.remoteWorkDir,
  };
}
