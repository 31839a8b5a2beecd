import { posix } from "node:path";
import { collectIncus } from "../../artifacts/collect-incus.js";
import { collectLaneOutputs, type LaneOutputs, OUTPUT_DIR_ENV } from "../../artifacts/lane-outputs.js";
import { CancelledError, describeError, InfrastructureError } from "../../errors/index.js";
import { execArgv, type InstancePatch, instancePatch } from "../../incus/argv.js";
import type { IncusClient } from "../../incus/client.js";
import { incusLimitsConfig } from "../../limits/incus-config.js";
import { readOomKills } from "../../limits/oom-probe.js";
import type { SyncStats } from "../../schema/index.js";
import type { Transport } from "../../transport/transport.js";
import type { JobEvents, JobSpec } from "../executor.js";
import type { PhaseClock } from "../phase-clock.js";
import type { JobEnding } from "./classify.js";
import { GUEST_ARTIFACTS, GUEST_SNAPSHOT, jobDevices, writableDirs } from "./devices.js";
import {
  apiGuest,
  DEFAULT_RUNNER_PATH,
  type GuestExit,
  type GuestStart,
  guestEnv,
  runGuest,
  shellGuest,
} from "./guest.js";
import type { KeyedCache } from "./keyed-cache.js";
import { restoreKeyedCaches } from "./keyed-cache.js";
import { instanceLabels } from "./names.js";
import { laneNetwork, type NetworkAttachment, releaseLease, resolverArgv } from "./network.js";
import type { RemoteJobLayout } from "./paths.js";
import type { WarmPool } from "./pool.js";
import { prepareRemoteDirs, readRemoteFile } from "./remote-files.js";
import { launchInstance } from "./runtime.js";
import type { SnapshotSyncer } from "./sync.js";
import { makeWritableCopy } from "./writable-copy.js";

/** The lane's writable output dir: inside the artifacts mount, so read-only lanes have one too. */
const GUEST_OUTPUTS = posix.join(GUEST_ARTIFACTS, "outputs");

/** One job on the Incus executor: what its steps read, and what they leave for the verdict and clean-up. */
export interface IncusJob {
  job: JobSpec;
  events: JobEvents;
  signal: AbortSignal;
  clock: PhaseClock;
  transport: Transport;
  incus: IncusClient;
  syncer: SnapshotSyncer;
  settings: {
    remoteWorkDir: string;
    project?: string;
    runnerPath?: string;
    deadlineGraceSecs?: number;
    shift: boolean;
    storagePool?: string;
    owner: string;
  };
  pool: WarmPool | null;
  host: (line: string) => void;
  /** The cold-launch name; a claimed pool member keeps its own. */
  name: string;
  image: string;
  layout: RemoteJobLayout;
  startedAt: Date;
  ending: JobEnding;
  keyed: KeyedCache[];
  sync: SyncStats | null;
  outputs: LaneOutputs;
  /** The instance to delete afterwards: set before it can exist (launch) or once claimed. */
  instance: string | null;
  /** OOM kills the instance's cgroup counted, read after a failed exit of a memory-limited lane. */
  oomKills: number | null;
  /** A claim started early (alongside directories and sync); clean-up awaits it for a member to delete. */
  claim: Promise<string | null>;
  /** Called once the guest runs (or the job ended before): warm-pool top-ups wait for it. */
  started: () => void;
  /** Hands the claim the job's config and disks once they can be mounted; null withdraws it. */
  offerPlug: (plug: InstancePatch | null) => void;
  network: NetworkAttachment | null;
  /** The Incus cluster member the lane's labels name (`--target`); undefined: Incus places it. */
  target: string | undefined;
}

const checkAbort = (job: IncusJob) => {
  if (job.signal.aborted) throw new CancelledError("cancelled");
};

/**
 * Pool only for what a member can become by hot-plugging disks: a container without network. The
 * member list is read now; the claiming write waits for `job.offerPlug` (after directories and sync).
 */
export function startClaim(job: IncusJob): void {
  const spec = job.job.execute;
  // A warm member sits wherever Incus put it, so a lane bound to a cluster member launches cold.
  const unpoolable =
    spec.network !== undefined || spec.instance_type !== "container" || job.target !== undefined;
  if (job.pool === null || unpoolable) return;
  const plug = new Promise<InstancePatch | null>((resolve) => {
    job.offerPlug = resolve;
  });
  job.claim = job.pool.claim(job.image, spec.instance_type, plug).catch((error: unknown) => {
    job.host(`warm pool unavailable (${describeError(error)}); launching cold`);
    return null;
  });
}

function devicesFor(job: IncusJob, snapshotPath: string) {
  return jobDevices({
    cacheSource: (cacheName) => job.keyed.find((c) => c.name === cacheName)?.work,
    spec: job.job.execute,
    remoteWorkDir: job.settings.remoteWorkDir,
    snapshotPath,
    artifactsPath: job.layout.artifacts,
    shift: job.settings.shift,
  });
}

/**
 * Directories, snapshot, instance, guest, artifacts: everything up to the guest's result. The
 * directories and the snapshot do not depend on each other, so their round trips overlap (and the
 * warm-pool claim, started earlier, runs alongside both).
 */
export async function runSteps(job: IncusJob): Promise<void> {
  const [, snapshotPath] = await Promise.all([prepareDirectories(job), syncSnapshot(job)]);
  checkAbort(job);
  const workdir = await job.clock.run("prepare_runtime", () => prepareRuntime(job, snapshotPath));
  const exit = await runGuestPhases(job, workdir);
  await takeExit(job, exit, workdir);
}

function prepareDirectories(job: IncusJob): Promise<void> {
  const { layout } = job;
  return job.clock.run("prepare_directories", () => {
    const writable = [
      ...writableDirs(devicesFor(job, GUEST_SNAPSHOT)),
      posix.join(layout.artifacts, "outputs"),
    ];
    return prepareRemoteDirs({
      transport: job.transport,
      dirs: [layout.jobDir],
      writable,
      clearFiles: ["result.json", "guest.log"].map((file) => posix.join(layout.artifacts, file)),
      heartbeat: layout.heartbeat,
    });
  });
}

function syncSnapshot(job: IncusJob): Promise<string> {
  return job.clock.run("sync_snapshot", async () => {
    const synced = await job.syncer({ snapshot: job.job.snapshot, signal: job.signal, log: job.host });
    job.sync = synced.stats;
    job.host(
      `snapshot ${job.job.snapshot.hash.slice(0, 12)}: ${synced.stats.bytes_sent} bytes sent, ${synced.stats.objects_reused} objects reused`,
    );
    return synced.remotePath;
  });
}

async function prepareRuntime(job: IncusJob, snapshotPath: string): Promise<string> {
  const { incus, signal } = job;
  const spec = job.job.execute;
  await restoreKeyedCaches({
    transport: job.transport,
    remoteWorkDir: job.settings.remoteWorkDir,
    caches: job.keyed,
    log: job.host,
  });
  // Limits go with the labels: Incus applies `limits.*` live, so a claimed member gets them too.
  const labels = {
    ...instanceLabels({
      ...ids(job.job),
      createdAt: job.startedAt,
      owner: job.settings.owner,
      remoteWorkDir: job.settings.remoteWorkDir,
    }),
    ...incusLimitsConfig(spec.limits),
  };
  job.offerPlug(instancePatch(devicesFor(job, snapshotPath), labels, false));
  const member = await job.claim;
  if (member !== null) {
    job.instance = member;
    job.host(`warm pool: claimed running instance ${member}, its disks hot-plugged in the same write`);
  } else {
    await launchCold(job, snapshotPath, labels);
  }
  checkAbort(job);
  if (!spec.writable_workspace) return GUEST_SNAPSHOT;
  const writable = await makeWritableCopy({
    incus,
    name: job.instance!,
    runAsRoot: spec.run_as_root,
    signal,
  });
  job.host(`writable workspace at ${writable.path} (${writable.method})`);
  return writable.path;
}

async function launchCold(job: IncusJob, snapshotPath: string, labels: Record<string, string>) {
  const spec = job.job.execute;
  const network = await laneNetwork({
    transport: job.transport,
    spec,
    instance: job.name,
    remoteWorkDir: job.settings.remoteWorkDir,
    project: job.settings.project,
  });
  job.network = network;
  if (network.address !== null) job.host(`network ${spec.network}: ${network.address}`);
  job.instance = job.name;
  // No abort signal here: a half-cancelled `incus launch` would race the cleanup's delete and leak.
  await launchInstance({
    incus: job.incus,
    spec: {
      image: job.image,
      name: job.name,
      vm: spec.instance_type === "vm",
      config: { ...labels, ...network.config },
      devices: devicesFor(job, snapshotPath),
      otherDevices: network.devices,
      ...(job.settings.storagePool ? { storage: job.settings.storagePool } : {}),
      ...(job.target === undefined ? {} : { target: job.target }),
    },
    readyDeadlineMs: 180_000,
    log: job.host,
    signal: new AbortController().signal,
  });
  if (network.resolver !== null) {
    const dns = await job.incus.exec(job.name, resolverArgv(network.resolver), { signal: job.signal });
    if (dns.code !== 0) throw new InfrastructureError(`cannot write /etc/resolv.conf in ${job.name}`);
  }
}

async function runGuestPhases(job: IncusJob, workdir: string): Promise<GuestExit> {
  const spec = job.job.execute;
  const { settings } = job;
  const guest = await job.clock.run("launch_guest", async () => {
    const deadlineSecs = spec.timeout_secs + (settings.deadlineGraceSecs ?? 20);
    job.host(`launching the guest runner (timeout ${spec.timeout_secs}s, host deadline ${deadlineSecs}s)`);
    const env = {
      ...guestEnv({ spec, workdir, ids: { ...ids(job.job), laneId: job.job.lane_id } }),
      [OUTPUT_DIR_ENV]: GUEST_OUTPUTS,
    };
    const start = await guestStart(job, env);
    return {
      exit: runGuest({
        start,
        deadlineMs: deadlineSecs * 1000,
        onOutput: (text) => job.events.log("guest", text),
        signal: job.signal,
      }),
    };
  });
  job.started();
  return job.clock.run("wait_for_completion", () => guest.exit);
}

/** Over the Incus API when the client has it (no host shell, no CLI process), else `incus exec` in a shell. */
async function guestStart(job: IncusJob, env: Record<string, string>): Promise<GuestStart> {
  const { settings } = job;
  const argv = [settings.runnerPath ?? DEFAULT_RUNNER_PATH];
  if ((await job.incus.connection()).kind === "api") {
    // Over the transport's file session (one request on an open channel); Incus's file API would
    // start a helper process in the daemon. Without a file session, the verdict step reads it.
    const hostPath = posix.join(job.layout.artifacts, "result.json");
    const readResult = async () => {
      const files = await job.transport.files?.().catch(() => undefined);
      return files === undefined ? null : files.read(hostPath);
    };
    return apiGuest({ incus: job.incus, instance: job.instance!, argv, env, readResult });
  }
  const scope = settings.project ? { project: settings.project } : {};
  return shellGuest({
    transport: job.transport,
    execArgv: execArgv(job.instance!, argv, { env }, scope),
    resultPath: posix.join(job.layout.artifacts, "result.json"),
  });
}

async function takeExit(job: IncusJob, exit: GuestExit, workdir: string): Promise<void> {
  const { ending } = job;
  const memoryLimited = job.job.execute.limits?.memory_bytes !== undefined;
  // Before the delete, while the instance's cgroup still counts its OOM kills.
  if (memoryLimited && exit.kind === "exited" && exit.code !== 0 && job.instance !== null)
    job.oomKills = await readOomKills({
      transport: job.transport,
      instance: job.instance,
      project: job.settings.project,
    });
  if (exit.kind === "deadline") ending.hostDeadline = true;
  else if (exit.kind === "cancelled") ending.aborted = true;
  else if (exit.kind === "error") ending.error = `the guest run failed: ${exit.message}`;
  else {
    ending.runnerExit = exit.code;
    // result.json normally came back with the guest's exit; read it only if that was lost.
    ending.resultText = await job.clock.run("collect_artifacts", async () => {
      const resultText =
        exit.resultText ??
        (await readRemoteFile(job.transport, posix.join(job.layout.artifacts, "result.json")));
      const roots = { workspace: workdir, outputDir: GUEST_OUTPUTS };
      const instance = job.instance!;
      job.outputs = await collectLaneOutputs({
        spec: job.job.execute,
        jobDir: job.job.job_dir,
        repoRoot: job.job.snapshot.root,
        workspaceRoots: [...new Set([workdir, GUEST_SNAPSHOT])],
        collect: (sink, caps) =>
          collectIncus({
            incus: job.incus,
            instance,
            spec: job.job.execute,
            roots,
            sink,
            caps,
            signal: job.signal,
          }),
        log: job.host,
      });
      return resultText;
    });
  }
}

/**
 * Delete the job's instance (a claimed member too: members never run a second job) and release its
 * address. Runs after the verdict; failures only warn, `pikaci gc` reaps what is left.
 */
export async function cleanUp(job: IncusJob, warn: (message: string) => void): Promise<void> {
  const claimed = await job.claim;
  const instance = job.instance ?? claimed;
  try {
    if (instance !== null) await job.incus.delete(instance, { timeoutMs: 120_000 });
  } catch (error) {
    warn(
      `cleanup failed, instance ${instance} may be left behind (pikaci gc removes it): ${describeError(error)}`,
    );
  } finally {
    await releaseLease(job.transport, job.network?.lease ?? null);
  }
}

export function ids(job: JobSpec) {
  return { runId: job.run_id, jobId: job.lane_id, attempt: job.attempt };
}
