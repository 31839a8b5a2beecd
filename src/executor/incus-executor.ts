import { describeError, InfrastructureError } from "../errors/index.js";
import { incusSocketPath } from "../incus/api/socket-path.js";
import { createIncusClient, type IncusClient } from "../incus/client.js";
import { clusterTargets } from "../incus/cluster-probe.js";
import { withOutOfMemory } from "../limits/oom.js";
import type { Transport } from "../transport/transport.js";
import type { Executor, JobEvents, JobOutcome, JobSpec } from "./executor.js";
import { classifyEnding } from "./incus/classify.js";
import { startHeartbeat } from "./incus/heartbeat.js";
import { cleanUp, type IncusJob, runSteps, startClaim } from "./incus/job-steps.js";
import { finishKeyedCaches, planKeyedCaches } from "./incus/keyed-cache.js";
import { instanceName, processOwner } from "./incus/names.js";
import { remoteJobLayout } from "./incus/paths.js";
import { createWarmPool, type WarmPool } from "./incus/pool.js";
import { createSnapshotSyncer, type SnapshotSyncer } from "./incus/sync.js";
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
  /** Storage pool for instances' root disks (`incus launch --storage`); absent: the profile's. */
  storagePool?: string;
  /**
   * Running instances to keep per image (`defaults.warm_pool`, `--warm-pool`); 0 or absent: none.
   * A function is asked at each job (the Action knows the config only once the run starts).
   */
  warmPool?: number | (() => number | undefined);
  /**
   * false: talk to Incus with one `incus` command per step even where its API socket can be reached
   * (the fallback, for tests). Default: the API when reachable.
   */
  incusApi?: boolean;
  /** Problems of work done after a verdict (deletes, pool top-ups); default: stderr. */
  onBackgroundError?: (message: string) => void;
}

/**
 * Runs each job in its own throw-away Incus instance on the build host behind `transport`: a cold
 * launch, or a claimed warm-pool member. The job's outcome is returned as soon as the guest's
 * result is known; the instance's delete (and pool top-ups) run afterwards, and `drain` awaits them.
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
  const incus = createIncusClient({
    transport: options.transport,
    project: options.project,
    ...(options.incusApi === false ? { api: false } : {}),
  });
  // Learn where the host's daemon listens while the snapshot is hashed, not on the first job's path.
  void incusSocketPath(options.transport);
  const targetOf = clusterTargets(options.transport);
  const owner = processOwner();
  const warn = options.onBackgroundError ?? ((m: string) => void process.stderr.write(`pikaci: ${m}\n`));
  const { track, drain } = backgroundWork(warn);
  const deleting = new Map<string, Promise<void>>();
  const starting = createStartGate();
  const size = () => (typeof options.warmPool === "function" ? options.warmPool() : options.warmPool) ?? 0;
  let pool: WarmPool | null = null;
  const poolFor = () => {
    if (size() <= 0) return null;
    pool ??= createWarmPool({
      incus,
      size: size(),
      project: options.project ?? "default",
      storage: options.storagePool,
      track,
      warn,
      quiet: starting.quiet,
    });
    return pool;
  };
  return {
    kind: "incus",
    runJob: (job, events, signal) =>
      runIncusJob({
        job,
        events,
        signal,
        options,
        remoteWorkDir,
        syncer,
        incus,
        targetOf,
        owner,
        pool: poolFor(),
        starting,
        track,
        warn,
        deleting,
      }),
    drain,
  };
}

/** Work left running after a verdict (deletes, top-ups): its errors are warnings, `drain` awaits it. */
function backgroundWork(warn: (message: string) => void) {
  const background = new Set<Promise<void>>();
  const track = (work: Promise<void>) => {
    const safe = work.catch((error: unknown) => warn(describeError(error)));
    background.add(safe);
    void safe.finally(() => background.delete(safe));
  };
  const drain = async () => {
    while (background.size > 0) await Promise.all([...background]);
  };
  return { track, drain };
}

interface IncusJobParams {
  job: JobSpec;
  events: JobEvents;
  signal: AbortSignal;
  options: IncusExecutorOptions;
  remoteWorkDir: string;
  syncer: SnapshotSyncer;
  incus: IncusClient;
  targetOf: (labels: readonly string[]) => Promise<string | undefined>;
  owner: string;
  pool: WarmPool | null;
  starting: ReturnType<typeof createStartGate>;
  track: (work: Promise<void>) => void;
  warn: (message: string) => void;
  /** Deletes still running after a verdict, by instance name: a retry reuses its job's name. */
  deleting: Map<string, Promise<void>>;
}

/** Counts jobs between their start and their guest's launch; `quiet` waits until there are none. */
function createStartGate() {
  let count = 0;
  let waiters: (() => void)[] = [];
  return {
    enter(): () => void {
      count++;
      let left = false;
      return () => {
        if (left) return;
        left = true;
        if (--count > 0) return;
        for (const wake of waiters) wake();
        waiters = [];
      };
    },
    quiet: (): Promise<void> =>
      count === 0 ? Promise.resolve() : new Promise((resolve) => waiters.push(resolve)),
  };
}

async function runIncusJob(params: IncusJobParams): Promise<JobOutcome> {
  const job = incusJob(params);
  // A retry's instance has its job's name: launching it while the last attempt's delete still runs
  // fails ("Instance is busy running a stop operation"), so wait for that delete first.
  await params.deleting.get(job.name);
  job.started = params.starting.enter();
  const { transport } = params.options;
  const stopHeartbeat = startHeartbeat({
    transport,
    path: job.layout.heartbeat,
    intervalMs: params.options.heartbeatIntervalMs,
  });
  try {
    job.host(
      `job ${params.job.lane_id} attempt ${params.job.attempt} on ${transport.description} as instance ${job.name} (${job.image})`,
    );
    if (params.job.execute.network !== undefined && params.options.networkRefusal !== undefined) {
      throw new InfrastructureError(`network refused: ${params.options.networkRefusal}`, {
        hint: "a maintainer approves the pull request (the pikaci App's Approve and run), or the lane drops `network:`",
      });
    }
    const { caches } = params.job.execute;
    job.keyed = await planKeyedCaches({ caches, snapshot: params.job.snapshot, jobDir: job.layout.jobDir });
    job.target = await params.targetOf(params.job.execute.runs_on ?? []);
    if (job.target !== undefined) job.host(`Incus cluster member ${job.target} (named by runs_on)`);
    startClaim(job);
    await runSteps(job);
  } catch (error) {
    if (params.signal.aborted) job.ending.aborted = true;
    else job.ending.error = describeError(error);
  } finally {
    // A job that failed before its disks were ready withdraws its claim (a no-op once offered).
    job.offerPlug(null);
    job.started();
    stopHeartbeat();
  }
  const cleanup = cleanUp(job, params.warn);
  // A keyed cache's working copy is published only once nothing in the guest can still write to it.
  const settled = cleanup.catch(() => {});
  params.deleting.set(job.name, settled);
  void settled.finally(() => {
    if (params.deleting.get(job.name) === settled) params.deleting.delete(job.name);
  });
  if (job.keyed.length > 0) await cleanup;
  else params.track(cleanup);
  return conclude(job);
}

function incusJob(params: IncusJobParams): IncusJob {
  const { job, options, remoteWorkDir } = params;
  return {
    job,
    events: params.events,
    signal: params.signal,
    clock: new PhaseClock(params.events),
    transport: options.transport,
    incus: params.incus,
    syncer: params.syncer,
    settings: { ...options, remoteWorkDir, shift: options.shift ?? false, owner: params.owner },
    pool: params.pool,
    host: (line) => params.events.log("host", `pikaci: ${line}\n`),
    name: instanceName(job.run_id, job.lane_id),
    image: options.image ?? job.execute.image,
    layout: remoteJobLayout(remoteWorkDir, job.run_id, job.lane_id),
    startedAt: new Date(),
    ending: {
      aborted: false,
      hostDeadline: false,
      error: null,
      runnerExit: null,
      resultText: null,
      timeoutSecs: job.execute.timeout_secs,
    },
    keyed: [],
    sync: null,
    outputs: {},
    instance: null,
    oomKills: null,
    claim: Promise.resolve(null),
    offerPlug: () => {},
    started: () => {},
    network: null,
    target: undefined,
  };
}

async function conclude(job: IncusJob): Promise<JobOutcome> {
  const verdict = withOutOfMemory(classifyEnding(job.ending), {
    oomKills: job.oomKills,
    memoryBytes: job.job.execute.limits?.memory_bytes,
  });
  await finishKeyedCaches({
    transport: job.transport,
    remoteWorkDir: job.settings.remoteWorkDir,
    caches: job.keyed,
    passed: verdict.status === "passed",
    id: `${job.job.run_id}-${job.job.lane_id}-${job.job.attempt}`,
    log: job.host,
  });
  if (verdict.message && verdict.status !== "passed")
    job.host(`${verdict.failure_kind ?? verdict.status}: ${verdict.message}`);
  return {
    ...verdict,
    phases: job.clock.phases,
    started_at: job.startedAt.toISOString(),
    finished_at: new Date().toISOString(),
    sync: job.sync,
    image: job.image,
    instance_name: job.instance ?? job.name,
    ...job.outputs,
  };
}
