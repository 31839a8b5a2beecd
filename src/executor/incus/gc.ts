import { posix } from "node:path";
import { InfrastructureError } from "../../errors/index.js";
import { createIncusClient } from "../../incus/client.js";
import type { Transport } from "../../ssh/transport.js";
import { planReap, type ReapDecision } from "./gc-plan.js";
import { HEARTBEAT_INTERVAL_MS, HEARTBEAT_STALE_FACTOR } from "./heartbeat.js";
import { INSTANCE_PREFIX, LABEL } from "./names.js";

export interface GcReport {
  instances: ReapDecision[];
  /** Staging dirs and temp uploads of syncs that died, older than an hour. */
  staleStaging: string[];
  dryRun: boolean;
}

export const DEFAULT_STALE_AFTER_SECS = (HEARTBEAT_INTERVAL_MS / 1000) * HEARTBEAT_STALE_FACTOR;
const STAGING_MAX_AGE_MINUTES = 60;

/** `pikaci gc`: delete instances of dead or too-old runs, and half-finished snapshot uploads. */
export async function collectGarbage(params: {
  transport: Transport;
  remoteWorkDir: string;
  project?: string;
  olderThanSecs: number;
  staleAfterSecs?: number;
  dryRun: boolean;
}): Promise<GcReport> {
  const { transport, remoteWorkDir } = params;
  const incus = createIncusClient({ transport, project: params.project });
  const instances = await incus.list(INSTANCE_PREFIX);
  const runIds = [
    ...new Set(
      instances.flatMap((i) => {
        const runId = i.config[LABEL.runId];
        return runId ? [runId] : [];
      }),
    ),
  ];
  const { nowSecs, beats } = await readHeartbeats(transport, remoteWorkDir, runIds);
  const decisions = planReap({
    instances,
    heartbeats: beats,
    hostNowSecs: nowSecs,
    olderThanSecs: params.olderThanSecs,
    staleAfterSecs: params.staleAfterSecs ?? DEFAULT_STALE_AFTER_SECS,
  });
  if (!params.dryRun) {
    for (const decision of decisions.filter((d) => d.remove)) await incus.delete(decision.name);
  }
  const staleStaging = await sweepStaging(transport, remoteWorkDir, params.dryRun);
  return { instances: decisions, staleStaging, dryRun: params.dryRun };
}

/**
 * A crashed or cancelled run's clean-up (the Action's post step): delete every instance labelled
 * with its run id. Returns the names removed.
 */
export async function removeRunInstances(params: {
  transport: Transport;
  project?: string;
  runId: string;
  onRemoved?: (name: string) => void;
}): Promise<string[]> {
  const incus = createIncusClient({ transport: params.transport, project: params.project });
  const leftovers = (await incus.list(INSTANCE_PREFIX)).filter((i) => i.config[LABEL.runId] === params.runId);
  for (const instance of leftovers) {
    await incus.delete(instance.name);
    params.onRemoved?.(instance.name);
  }
  return leftovers.map((i) => i.name);
}

async function readHeartbeats(transport: Transport, workDir: string, runIds: string[]) {
  // One round trip: the host's clock first, then `<run id> <mtime|->` per run.
  const script =
    'd=$1; shift; date +%s; for r; do printf "%s %s\\n" "$r" "$(stat -c %Y "$d/runs/$r/heartbeat" 2>/dev/null || echo -)"; done';
  const result = await transport.exec(["sh", "-c", script, "pikaci-gc", workDir, ...runIds], {
    timeoutMs: 60_000,
  });
  if (result.code !== 0)
    throw new InfrastructureError(`cannot read heartbeats on ${transport.description}: ${result.stderr}`);
  const [first, ...lines] = result.stdout.toString().trim().split("\n");
  const beats = new Map<string, number | null>();
  for (const line of lines) {
    const [runId, mtime] = line.split(" ");
    if (runId) beats.set(runId, mtime && /^\d+$/.test(mtime) ? Number(mtime) : null);
  }
  return { nowSecs: Number(first), beats };
}

async function sweepStaging(transport: Transport, workDir: string, dryRun: boolean): Promise<string[]> {
  const script = [
    "d=$1; dry=$2; age=$3",
    '{ [ -d "$d/snapshots" ] && find "$d/snapshots" -mindepth 1 -maxdepth 1 -name ".staging-*" -mmin +"$age";',
    '  [ -d "$d/tmp" ] && find "$d/tmp" -mindepth 1 -maxdepth 1 -mmin +"$age"; } | while IFS= read -r p; do',
    '  printf "%s\\n" "$p"; [ "$dry" = 1 ] || rm -rf -- "$p"',
    "done",
  ].join("\n");
  const argv = [
    "sh",
    "-c",
    script,
    "pikaci-gc",
    posix.normalize(workDir),
    dryRun ? "1" : "0",
    String(STAGING_MAX_AGE_MINUTES),
  ];
  const result = await transport.exec(argv, { timeoutMs: 300_000 });
  if (result.code !== 0) {
    throw new InfrastructureError(
      `cannot sweep stale snapshot staging dirs on ${transport.description}: ${result.stderr}`,
    );
  }
  return result.stdout
    .toString()
    .split("\n")
    .filter((line) => line !== "");
}
