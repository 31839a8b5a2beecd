import { InfrastructureError } from "../../errors/index.js";
import { createIncusClient } from "../../incus/client.js";
import type { Transport } from "../../transport/transport.js";
import { planReap, type ReapDecision } from "./gc-plan.js";
import { HEARTBEAT_INTERVAL_MS, HEARTBEAT_STALE_FACTOR } from "./heartbeat.js";
import { INSTANCE_PREFIX, LABEL } from "./names.js";
import { runSweep } from "./sweep.js";
import { CLAIM_DEVICE, POOL_LABEL, planPoolReap, splitPoolMembers } from "./warm-pool.js";

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
  const { unclaimed, claiming, rest } = splitPoolMembers(await incus.list(INSTANCE_PREFIX));
  const runIds = [
    ...new Set(
      rest.flatMap((i) => {
        const runId = i.config[LABEL.runId];
        return runId ? [runId] : [];
      }),
    ),
  ];
  const { nowSecs, beats } = await readHeartbeats(transport, remoteWorkDir, runIds);
  const decisions = planReap({
    instances: rest,
    heartbeats: beats,
    hostNowSecs: nowSecs,
    olderThanSecs: params.olderThanSecs,
    staleAfterSecs: params.staleAfterSecs ?? DEFAULT_STALE_AFTER_SECS,
  });
  const aliases = [...new Set(unclaimed.map((m) => m.config[POOL_LABEL.alias] ?? ""))];
  const fingerprints = await Promise.all(aliases.map((a) => (a ? incus.imageFingerprint(a) : null)));
  const poolDecisions = planPoolReap({
    members: unclaimed,
    currentImages: new Map(aliases.map((a, i) => [a, fingerprints[i] ?? null])),
    hostNowSecs: nowSecs,
    olderThanSecs: params.olderThanSecs,
  });
  if (!params.dryRun) {
    for (const decision of decisions.filter((d) => d.remove)) await incus.delete(decision.name);
    await reapMembers(incus, poolDecisions);
  }
  const kept = claiming.map((i) => ({
    name: i.name,
    runId: null,
    remove: false,
    reason: "warm pool member being claimed by a job",
  }));
  const staleStaging = await sweepStaging(transport, remoteWorkDir, params.dryRun);
  return { instances: [...decisions, ...poolDecisions, ...kept], staleStaging, dryRun: params.dryRun };
}

/**
 * gc claims a member before deleting it, like a job would: a job that claimed it a moment after
 * gc listed it wins, and gc leaves that instance alone.
 */
async function reapMembers(incus: ReturnType<typeof createIncusClient>, decisions: ReapDecision[]) {
  for (const decision of decisions.filter((d) => d.remove)) {
    if (await incus.claim(decision.name, CLAIM_DEVICE)) {
      await incus.delete(decision.name);
    } else {
      decision.remove = false;
      decision.reason = "warm pool member claimed by a job meanwhile; left to it";
    }
  }
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
  return runSweep({
    transport,
    script,
    name: "pikaci-gc",
    workDir,
    dryRun,
    arg: String(STAGING_MAX_AGE_MINUTES),
    what: "sweep stale snapshot staging dirs",
  });
}
