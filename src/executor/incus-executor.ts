import { hostname } from "node:os";
import { posix } from "node:path";
import { collectIncus } from "../artifacts/collect-incus.js";
import { collectLaneOutputs, type LaneOutputs, OUTPUT_DIR_ENV } from "../artifacts/lane-outputs.js";
import { CancelledError, describeError, InfrastructureError } from "../errors/index.js";
import { execArgv } from "../incus/argv.js";
import { createIncusClient } from "../incus/client.js";
import type { SyncStats } from "../schema/index.js";
import type { Transport } from "../ssh/transport.js";
import type { Executor, JobEvents, JobOutcome, JobSpec } from "./executor.js";
import { classifyEnding, type JobEnding } from "./incus/classify.js";
import { GUEST_ARTIFACTS, GUEST_SNAPSHOT, jobDevices, writableDirs } from "./incus/devices.js";
import { DEFAULT_RUNNER_PATH, guestEnv, runGuest } from "./incus/guest.js";
import { startHeartbeat } from "./incus/heartbeat.js";
import {
  finishKeyedCaches,
  type KeyedCache,
  planKeyedCaches,
  restoreKeyedCaches,
} from "./incus/keyed-cache.js";
import { instanceLabels, instanceName } from "./incus/names.js";
import { laneNetwork, type NetworkAttachment, releaseLease, resolverArgv } from "./incus/network.js";
import { remoteJobLayout } from "./incus/paths.js";
import { prepareRemoteDirs, readRemoteFile } from "./incus/remote-files.js";
import { launchInstance } from "./incus/runtime.js";
import { createSnapshotSyncer, type SnapshotSyncer } from "./incus/sync.js";
import { makeWritableCopy } from "./incus/writable-copy.js";
import { PhaseClock } from "./phase-clock.js";

export const DEFAULT_REMOTE_WORK_DIR = "/var/tmp/pikaci";

export interface IncusExecutorOptions {
  transport: Transport;
  remoteWorkDir?: string;
  /** Only passed to incus when set. */
  project?: string;
  runnerPath?: string;
  /** Overrides every lane's image (`--image`). */
  image?: string;
  /** Seconds the host waits past the lane timeout before it kills the instance itself. */
  deadlineGraceSecs?: number;
  /** Idmapped (`shift=true`) writable mounts; off by default: world-writable dirs work everywhere. */
  shift?: boolean;
  heartbeatIntervalMs?: number;
  /** Seam for tests and benchmarks; defaults to the content-addressed sync. */
  syncer?: SnapshotSyncer;
  /**
   * pikaci's state directory: the content-addressed sync remembers each host's last base under
   * `<stateRoot>/cache`. Absent: `<workspace>/.pikaci/cache`.
   */
  stateRoot?: string;
  /**
   * Why lanes of this run may not have network (an unapproved fork's pull request); a lane that asks
   * for `network:` then fails before anything runs. Absent: lanes get the network they ask for.
   */
  networkRefusal?: string;
}

/**
 * Runs each job in its own throw-away Incus instance on the build host behind `transport`.
 * The instance is deleted whatever happens: success, failure, timeout, abort.
 */
export function createIncusExecutor(options: IncusExecutorOptions): Executor {
  const remoteWorkDir = options.remoteWorkDir ?? DEFAULT_REMOTE_WORK_DIR;
  const syncer =
    options.syncer ??
    createSnapshotSyncer({
      transport: options.transport,
      remoteWorkDir,
      ...(options.stateRoot === undefined ? {} : { stateRoot: options.stateRoot }),
    });
  const incus = createIncusClient({ transport: options.transport, project: options.project });
  const owner = `${hostname()}:${process.pid}`;
  return {
    kind: "incus",
    runJob: (job, events, signal) =>
      runIncusJob({ job, events, signal, options, remoteWorkDir, syncer, incus, owner }),
  };
}

interface IncusJobParams {
  job: JobSpec;
  events: JobEvents;
  signal: AbortSignal;
  options: IncusExecutorOptions;
  remoteWorkDir: string;
  syncer: SnapshotSyncer;
  incus: ReturnType<typeof createIncusClient>;
  owner: string;
}

async function runIncusJob(params: IncusJobParams): Promise<JobOutcome> {
  const { job, events, signal, options, remoteWorkDir, incus } = params;
  const { transport } = options;
  const spec = job.execute;
  const startedAt = new Date();
  const clock = new PhaseClock(events);
  const host = (line: string): void => events.log("host", `pikaci: ${line}\n`);
  const name = instanceName(job.run_id, job.job_id);
  const layout = remoteJobLayout(remoteWorkDir, job.run_id, job.job_id);
  const image = options.image ?? spec.image;
  const ending: JobEnding = {
    aborted: false,
    hostDeadline: false,
    error: null,
    runnerExit: null,
    resultText: null,
    timeoutSecs: spec.timeout_secs,
  };
  let sync: SyncStats | null = null;
  let outputs: LaneOutputs = {};
  /** The lane's writable output dir: inside the artifacts mount, so read-only lanes have one too. */
  const guestOutputs = posix.join(GUEST_ARTIFACTS, "outputs");
  let launched = false;
  let network: NetworkAttachment | null = null;
  let keyed: KeyedCache[] = [];
  const stopHeartbeat = startHeartbeat({
    transport,
    path: layout.heartbeat,
    intervalMs: options.heartbeatIntervalMs,
  });
  const checkAbort = () => {
    if (signal.aborted) throw new CancelledError("cancelled");
  };

  try {
    host(
      `job ${job.job_id} attempt ${job.attempt} on ${transport.description} as instance ${name} (${image})`,
    );
    if (spec.network !== undefined && options.networkRefusal !== undefined) {
      throw new InfrastructureError(`network refused: ${options.networkRefusal}`, {
        hint: "a maintainer approves the pull request (the pikaci App's Approve and run), or the lane drops `network:`",
      });
    }
    keyed = await planKeyedCaches({ caches: spec.caches, snapshot: job.snapshot, jobDir: layout.jobDir });
    const devices = (snapshotPath: string) =>
      jobDevices({
        cacheSource: (cacheName) => keyed.find((c) => c.name === cacheName)?.work,
        spec,
        remoteWorkDir,
        snapshotPath,
        artifactsPath: layout.artifacts,
        shift: options.shift ?? false,
      });
    await clock.run("prepare_directories", () => {
      const writable = [...writableDirs(devices(GUEST_SNAPSHOT)), posix.join(layout.artifacts, "outputs")];
      return prepareRemoteDirs({
        transport,
        dirs: [layout.jobDir],
        writable,
        clearFiles: ["result.json", "guest.log"].map((file) => posix.join(layout.artifacts, file)),
        heartbeat: layout.heartbeat,
      });
    });
    checkAbort();
    const snapshotPath = await clock.run("sync_snapshot", async () => {
      const synced = await params.syncer({ snapshot: job.snapshot, signal, log: host });
      sync = synced.stats;
      host(
        `snapshot ${job.snapshot.hash.slice(0, 12)}: ${synced.stats.bytes_sent} bytes sent, ${synced.stats.objects_reused} objects reused`,
      );
      return synced.remotePath;
    });
    checkAbort();
    const workdir = await clock.run("prepare_runtime", async () => {
      await restoreKeyedCaches({ transport, remoteWorkDir, caches: keyed, log: host });
      network = await laneNetwork({
        transport,
        spec,
        instance: name,
        remoteWorkDir,
        project: options.project,
      });
      if (network.address !== null) host(`network ${spec.network}: ${network.address}`);
      launched = true;
      // No abort signal here: a half-cancelled `incus launch` would race the cleanup's delete and leak.
      await launchInstance({
        incus,
        spec: {
          image,
          name,
          vm: spec.instance_type === "vm",
          config: {
            ...instanceLabels({ ...ids(job), createdAt: startedAt, owner: params.owner, remoteWorkDir }),
            ...network.config,
          },
          devices: devices(snapshotPath),
          otherDevices: network.devices,
        },
        readyDeadlineMs: 180_000,
        log: host,
        signal: new AbortController().signal,
      });
      if (network.resolver !== null) {
        const dns = await incus.exec(name, resolverArgv(network.resolver), { signal });
        if (dns.code !== 0) throw new InfrastructureError(`cannot write /etc/resolv.conf in ${name}`);
      }
      checkAbort();
      if (!spec.writable_workspace) return GUEST_SNAPSHOT;
      const writable = await makeWritableCopy({ incus, name, runAsRoot: spec.run_as_root, signal });
      host(`writable workspace at ${writable.path} (${writable.method})`);
      return writable.path;
    });
    const guest = await clock.run("launch_guest", async () => {
      const deadlineSecs = spec.timeout_secs + (options.deadlineGraceSecs ?? 20);
      host(`launching the guest runner (timeout ${spec.timeout_secs}s, host deadline ${deadlineSecs}s)`);
      return {
        exit: runGuest({
          transport,
          execArgv: execArgv(
            name,
            [options.runnerPath ?? DEFAULT_RUNNER_PATH],
            {
              env: {
                ...guestEnv({ spec, workdir, ids: { ...ids(job), laneId: job.lane_id } }),
                [OUTPUT_DIR_ENV]: guestOutputs,
              },
            },
            options.project ? { project: options.project } : {},
          ),
          resultPath: posix.join(layout.artifacts, "result.json"),
          deadlineMs: deadlineSecs * 1000,
          onOutput: (text) => events.log("guest", text),
          signal,
        }),
      };
    });
    const exit = await clock.run("wait_for_completion", () => guest.exit);
    if (exit.kind === "deadline") ending.hostDeadline = true;
    else if (exit.kind === "cancelled") ending.aborted = true;
    else if (exit.kind === "error") ending.error = `the guest run failed: ${exit.message}`;
    else {
      ending.runnerExit = exit.code;
      // result.json normally came back with the guest's exit; read it only if that was lost.
      ending.resultText = await clock.run("collect_artifacts", async () => {
        const resultText =
          exit.resultText ?? (await readRemoteFile(transport, posix.join(layout.artifacts, "result.json")));
        const roots = { workspace: workdir, outputDir: guestOutputs };
        outputs = await collectLaneOutputs({
          spec,
          jobDir: job.job_dir,
          repoRoot: job.snapshot.root,
          workspaceRoots: [...new Set([workdir, GUEST_SNAPSHOT])],
          collect: (sink, caps) => collectIncus({ incus, instance: name, spec, roots, sink, caps, signal }),
          log: host,
        });
        return resultText;
      });
    }
  } catch (error) {
    if (signal.aborted) ending.aborted = true;
    else ending.error = describeError(error);
  } finally {
    stopHeartbeat();
    if (launched) {
      await clock
        .run("cleanup", () => incus.delete(name, { timeoutMs: 120_000 }))
        .then(() => host(`deleted instance ${name}`))
        .catch((error: unknown) =>
          host(
            `cleanup failed, instance ${name} may be left behind (pikaci gc removes it): ${describeError(error)}`,
          ),
        );
    } else {
      await clock.run("cleanup", async () => {});
    }
    await releaseLease(transport, (network as NetworkAttachment | null)?.lease ?? null);
  }
  const verdict = classifyEnding(ending);
  await finishKeyedCaches({
    transport,
    remoteWorkDir,
    caches: keyed,
    passed: verdict.status === "passed",
    id: `${job.run_id}-${job.job_id}-${job.attempt}`,
    log: host,
  });
  if (verdict.message && verdict.status !== "passed")
    host(`${verdict.failure_kind ?? verdict.status}: ${verdict.message}`);
  return {
    ...verdict,
    phases: clock.phases,
    started_at: startedAt.toISOString(),
    finished_at: new Date().toISOString(),
    sync,
    image,
    instance_name: name,
    host_log_path: null,
    guest_log_path: null,
    ...outputs,
  };
}

function ids(job: JobSpec) {
  return { runId: job.run_id, jobId: job.job_id, attempt: job.attempt };
}
