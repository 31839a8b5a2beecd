import { mkdir, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { collectLocal } from "../artifacts/collect-local.js";
import { collectLaneOutputs, type LaneOutputs, OUTPUT_DIR_ENV } from "../artifacts/lane-outputs.js";
import { describeError } from "../errors/index.js";
import type { Executor, JobEvents, JobOutcome, JobSpec } from "./executor.js";
import { copySnapshot } from "./local/copy-tree.js";
import { findShell, laneEnv } from "./local/lane-env.js";
import { type LaneExit, spawnLane } from "./local/spawn-lane.js";
import { PhaseClock } from "./phase-clock.js";

export interface LocalExecutorOptions {
  /** Where per-job temporary directories go; default the OS temp dir. */
  tmpRoot?: string;
  /** Only PATH and LANG are taken from it. */
  env?: Readonly<Record<string, string | undefined>>;
}

/**
 * The embedded default: each job runs its lane with `bash -c` in a temporary copy of the
 * snapshot on this machine, with the lane's timeout and a from-scratch environment. The
 * workspace is only read; the copy is removed whatever happens.
 */
export function createLocalExecutor(options: LocalExecutorOptions = {}): Executor {
  const env = options.env ?? process.env;
  const shell = findShell(env.PATH);
  return {
    kind: "local",
    runJob: (job, events, signal) =>
      runLocalJob({ job, events, signal, shell, env, tmpRoot: options.tmpRoot ?? tmpdir() }),
  };
}

interface LocalJobParams {
  job: JobSpec;
  events: JobEvents;
  signal: AbortSignal;
  shell: string;
  env: Readonly<Record<string, string | undefined>>;
  tmpRoot: string;
}

/** The job's private directories under one temp dir: the workspace copy, HOME, TMPDIR, the output dir. */
interface JobPaths {
  workspace: string;
  home: string;
  tmp: string;
  outputs: string;
}

async function runLocalJob(params: LocalJobParams): Promise<JobOutcome> {
  const { job, events, signal } = params;
  const startedAt = new Date().toISOString();
  const clock = new PhaseClock(events);
  const host = (line: string): void => events.log("host", `pikaci: ${line}\n`);
  const spec = job.execute;
  const temp: { dir: string | null } = { dir: null };
  let exit: Exit = { kind: "cancelled" };
  let outputs: LaneOutputs = {};
  try {
    const paths = await clock.run("prepare_directories", () => prepareDirs(params, temp, host));
    await clock.run("sync_snapshot", async () => {
      const stats = await copySnapshot(job.snapshot, paths.workspace);
      host(`copied snapshot ${job.snapshot.hash.slice(0, 12)} (${stats.files} files)`);
    });
    if (spec.caches.length > 0 || spec.mounts.length > 0) {
      host("caches and mounts apply to the Incus executor only; ignored locally");
    }
    // RLIMIT_NPROC counts every process of the user, not the lane's, so no OS knob here fits: say so.
    if (spec.limits)
      host("limits (cpu, memory, processes) apply to the Incus executor only; not enforced locally");
    if (signal.aborted) throw new Error("cancelled");
    const lane = await clock.run("launch_guest", () => launchLane(params, paths, host));
    exit = await clock.run("wait_for_completion", () => lane.exit);
    outputs = await clock.run("collect_artifacts", () => collectOutputs(job, paths, exit, host));
  } catch (error) {
    exit = signal.aborted ? { kind: "cancelled" } : { kind: "infrastructure", message: describeError(error) };
    host(`failed: ${describeExit(exit, spec.timeout_secs)}`);
  } finally {
    await clock
      .run("cleanup", async () => {
        if (temp.dir) await rm(temp.dir, { recursive: true, force: true, maxRetries: 3 });
      })
      .catch((error: unknown) => host(`cleanup failed: ${describeError(error)}`));
  }
  return {
    ...outcomeOf(exit, spec.timeout_secs),
    phases: clock.phases,
    started_at: startedAt,
    finished_at: new Date().toISOString(),
    ...outputs,
  };
}

/** Makes the job's temp dir (recorded in `temp` at once, so cleanup finds it whatever fails next). */
async function prepareDirs(
  params: Pick<LocalJobParams, "job" | "tmpRoot">,
  temp: { dir: string | null },
  host: (line: string) => void,
): Promise<JobPaths> {
  await mkdir(params.tmpRoot, { recursive: true });
  const dir = await mkdtemp(join(params.tmpRoot, "pikaci-local-"));
  temp.dir = dir;
  const layout: JobPaths = {
    workspace: join(dir, "workspace"),
    home: join(dir, "home"),
    tmp: join(dir, "tmp"),
    outputs: join(dir, "outputs"),
  };
  await Promise.all(Object.values(layout).map((p) => mkdir(p, { recursive: true })));
  host(`job ${params.job.lane_id} attempt ${params.job.attempt} in ${dir}`);
  return layout;
}

async function launchLane(
  params: LocalJobParams,
  paths: JobPaths,
  host: (line: string) => void,
): Promise<ReturnType<typeof spawnLane>> {
  const { job, events } = params;
  const spec = job.execute;
  host(`running the lane with ${params.shell} -c (timeout ${spec.timeout_secs}s)`);
  const spawned = spawnLane({
    shell: params.shell,
    command: spec.command,
    cwd: paths.workspace,
    env: {
      ...laneEnv({
        parent: params.env,
        home: paths.home,
        tmp: paths.tmp,
        lane: spec.env,
        ids: { runId: job.run_id, jobId: job.lane_id, laneId: job.lane_id, attempt: job.attempt },
      }),
      [OUTPUT_DIR_ENV]: paths.outputs,
    },
    timeoutMs: spec.timeout_secs * 1000,
    signal: params.signal,
    onOutput: (text) => events.log("guest", text),
  });
  await spawned.started;
  return spawned;
}

async function collectOutputs(
  job: JobSpec,
  paths: JobPaths,
  exit: Exit,
  host: (line: string) => void,
): Promise<LaneOutputs> {
  const spec = job.execute;
  host(describeExit(exit, spec.timeout_secs));
  if (exit.kind !== "exited") return {};
  const roots = { workspace: paths.workspace, outputDir: paths.outputs };
  return collectLaneOutputs({
    spec,
    jobDir: job.job_dir,
    repoRoot: job.snapshot.root,
    workspaceRoots: [paths.workspace],
    collect: (sink, caps) => collectLocal({ spec, roots, sink, caps }),
    log: host,
  });
}

type Exit = LaneExit | { kind: "infrastructure"; message: string };

/** Exit → the record's verdict: guest ran and failed = test_failure; deadline = timeout; else infrastructure. */
export function outcomeOf(
  exit: Exit,
  timeoutSecs: number,
): Pick<JobOutcome, "status" | "failure_kind" | "exit_code" | "message"> {
  switch (exit.kind) {
    case "exited":
      return exit.code === 0
        ? { status: "passed", failure_kind: null, exit_code: 0, message: null }
        : {
            status: "failed",
            failure_kind: "test_failure",
            exit_code: exit.code,
            message: describeExit(exit, timeoutSecs),
          };
    case "timeout":
      return {
        status: "failed",
        failure_kind: "timeout",
        exit_code: null,
        message: describeExit(exit, timeoutSecs),
      };
    case "cancelled":
      return { status: "cancelled", failure_kind: null, exit_code: null, message: "cancelled" };
    case "spawn_failed":
    case "infrastructure":
      return {
        status: "failed",
        failure_kind: "infrastructure",
        exit_code: null,
        message: describeExit(exit, timeoutSecs),
      };
  }
}

function describeExit(exit: Exit, timeoutSecs: number): string {
  switch (exit.kind) {
    case "exited":
      return exit.signal ? `killed by ${exit.signal}` : `exited with code ${exit.code}`;
    case "timeout":
      return `timed out after ${timeoutSecs}s`;
    case "cancelled":
      return "cancelled";
    case "spawn_failed":
      return `could not start the lane's shell: ${exit.message}`;
    case "infrastructure":
      return exit.message;
  }
}
