import path from "node:path";
import { loadConfigFile } from "../../config/index.js";
import { UsageError } from "../../errors/index.js";
import { readLogTail } from "../../pages/log-source.js";
import { lastLines } from "../../report/log-tail.js";
import { gitMeta } from "../../run/git-meta.js";
import { exitCodeOf } from "../../run/policy.js";
import { planRun, workspaceSnapshot } from "../../run/prepare.js";
import { type RunEngineParams, runEngine } from "../../run/run-engine.js";
import { DEFAULT_CONFIG_PATH, type RunEvent, type RunRecord } from "../../schema/index.js";
import { createStateStore, resolveStateRoot, type StateStore } from "../../store/index.js";
import { parseCommandArgs } from "../args.js";
import type { CliIO, Command } from "../io.js";
import { plainLine } from "../progress/plain.js";
import { renderSummary } from "../progress/summary.js";
import { TtyProgress } from "../progress/tty.js";
import { type ExecutorFlags, hostSpecs, openExecutor } from "./run-executor.js";

const DEFAULT_CONCURRENCY = 4;
const SIGNAL_EXIT: Record<string, number> = { SIGINT: 130, SIGTERM: 143 };

export const runCommand: Command = {
  name: "run",
  summary: "run the selected lanes (locally, or in Incus instances on a build host) and record the run",
  usage: `Usage: pikaci run [--config FILE] [--lane ID]... [--changed PATH]... [--workspace DIR]
                  [--host ssh://user@host:port[?capacity=N&labels=a,b&project=P]]...
                   [--ssh-key FILE] [--known-hosts FILE]...
                   [--host-key-fingerprint SHA256:...] [--image ALIAS] [--remote-work-dir DIR]
                   [--incus-project NAME] [--warm-pool N]]
                  [--state-root DIR] [--concurrency N] [--json]

Runs each selected lane as its own job and records the run under the state root
(runs/<run_id>/run.json, plan.json, jobs/<lane>/{host,guest}.log).

Without --host, lanes run on this machine, each in a temporary copy of the workspace
snapshot, with a clean environment (no variables of yours leak in). With --host, each lane
runs in a throw-away Incus instance on that build host, reached over SSH. With several
--host (or the config's hosts:), each lane goes to the matching host with the most free
capacity, and an infrastructure failure is retried on another host.

The workspace is the repository the config belongs to: two levels above
.github/pikaci.yml, or the current directory for a config elsewhere; --workspace overrides.

Exit codes: 0 every selected lane passed (or none was selected), 1 a lane failed or the
run was cancelled, 2 bad usage or config, 130/143 interrupted by SIGINT/SIGTERM.

Options:
  -c, --config FILE               config file (default: ${DEFAULT_CONFIG_PATH})
      --lane ID                   only this lane; repeat for several
      --changed PATH              a changed file (selects lanes by their paths); repeat.
                                  Without it every lane runs.
      --workspace DIR             the repository to snapshot (see above)
      --host URL                  build host, ssh://user@host:port; repeat for several.
                                  ?capacity=N (lanes at once there; default --concurrency),
                                  ?labels=a,b (for lanes' runs_on), ?project=NAME (Incus
                                  project on that host). Default: the config's hosts:
      --ssh-key FILE              private key for the build host(s) (or PIKACI_SSH_KEY)
      --known-hosts FILE          known_hosts line(s) pinning the host key; repeatable
      --host-key-fingerprint FP   pin the host key by SHA256:... fingerprint
      --image ALIAS               Incus image alias for lanes that do not set one
      --remote-work-dir DIR       work dir on the build host
      --incus-project NAME        Incus project
      --warm-pool N               keep N running instances per image on the build host and
                                  hand each lane one of them (default: the config's
                                  defaults.warm_pool, else 0: every lane launches its own)
      --state-root DIR            where runs are recorded (default: $PIKACI_STATE_ROOT or ./.pikaci)
      --concurrency N             lanes at once (default: ${DEFAULT_CONCURRENCY}); with build hosts,
                                  each host's capacity unless it sets its own
      --json                      print lifecycle events as JSON lines on stdout, nothing else
  -h, --help                      show this help`,
  async run(args, io) {
    const values = parseRunArgs(args);
    const setup = await prepare(values, io);
    return runPrepared(setup, values, io);
  },
};

type RunValues = ReturnType<typeof parseRunArgs>;

function parseRunArgs(args: string[]) {
  return parseCommandArgs("run", args, {
    config: { type: "string", short: "c", default: DEFAULT_CONFIG_PATH },
    lane: { type: "string", multiple: true },
    changed: { type: "string", multiple: true },
    workspace: { type: "string" },
    host: { type: "string", multiple: true },
    "ssh-key": { type: "string" },
    "known-hosts": { type: "string", multiple: true },
    "host-key-fingerprint": { type: "string" },
    image: { type: "string" },
    "remote-work-dir": { type: "string" },
    "incus-project": { type: "string" },
    "warm-pool": { type: "string" },
    "state-root": { type: "string" },
    concurrency: { type: "string" },
    json: { type: "boolean", default: false },
  }).values;
}

interface PreparedCli {
  params: Omit<RunEngineParams, "options">;
  concurrency: number;
  workspace: string;
  store: StateStore;
  executorDescription: string;
  close: () => Promise<void>;
}

/** Everything before the first record: config, plan (an unknown lane stops here), store, executor. */
async function prepare(values: RunValues, io: CliIO): Promise<PreparedCli> {
  const concurrency = parseConcurrency(values.concurrency);
  const { config, file } = await loadConfigFile(values.config, { cwd: io.cwd });
  const configAbs = path.resolve(io.cwd, file);
  const workspace = values.workspace
    ? path.resolve(io.cwd, values.workspace)
    : inferWorkspace(configAbs, io.cwd);
  const stateRoot = values["state-root"]
    ? path.resolve(io.cwd, values["state-root"])
    : resolveStateRoot(io.env, io.cwd);
  const hosts = hostSpecs({ host: values.host }, config.hosts);
  const flags = executorFlags(values, hosts.length > 0 ? config.defaults?.warm_pool : undefined);
  const planned = planRun({
    config,
    configPath: path.relative(workspace, configAbs).split(path.sep).join("/"),
    ...(values.lane ? { laneIds: values.lane } : {}),
    changedFiles: values.changed ?? null,
    executor: hosts.length > 0 ? "incus" : "local",
  });
  const store = createStateStore({ root: stateRoot });
  const opened = await openExecutor(flags, { hosts, concurrency, env: io.env, stateRoot });
  return {
    params: {
      planned,
      // The snapshot refuses a state root that is the workspace itself (a UsageError: exit 2).
      snapshot: workspaceSnapshot({ workspace, stateRoot, config }),
      executor: opened.executor,
      store,
    },
    concurrency,
    workspace,
    store,
    executorDescription: opened.description,
    close: opened.close,
  };
}

function executorFlags(
  values: Partial<Record<"ssh-key" | "host-key-fingerprint" | "image", string>> &
    Partial<Record<"host" | "known-hosts", string[]>> &
    Partial<Record<"remote-work-dir" | "incus-project" | "warm-pool", string>>,
  configPool: number | undefined,
): ExecutorFlags {
  return {
    host: values.host,
    sshKey: values["ssh-key"],
    knownHosts: values["known-hosts"],
    fingerprint: values["host-key-fingerprint"],
    image: values.image,
    remoteWorkDir: values["remote-work-dir"],
    incusProject: values["incus-project"],
    // The config's pool applies with a host only; the flag alone is refused without one.
    warmPool: parseWarmPool(values["warm-pool"]) ?? configPool,
  };
}

/** Run with progress and signal handling, then print the summary; returns the exit code. */
async function runPrepared(setup: PreparedCli, values: RunValues, io: CliIO): Promise<number> {
  const stop = stopOnSignals(io);
  const progress = progressFor(io, values.json);
  let record: RunRecord;
  try {
    record = await runEngine({
      ...setup.params,
      options: {
        concurrency: setup.concurrency,
        onEvent: progress.onEvent,
        onWarning: (message) => io.stderr.write(`warning: ${message}\n`),
        signal: stop.signal,
        meta: { host: setup.executorDescription, ...(await gitMeta(setup.workspace)) },
      },
    });
  } catch (error) {
    await setup.close().catch(() => {});
    throw error;
  } finally {
    progress.stop();
    stop.release();
  }
  const summary = renderSummary(record, await failureTails(setup.store, record));
  (values.json ? io.stderr : io.stdout).write(summary);
  // After the verdicts: instance deletes and pool top-ups finish while the summary is already out.
  await setup.close().catch(() => {});
  const stoppedBy = stop.stoppedBy();
  if (stoppedBy) return SIGNAL_EXIT[stoppedBy] ?? 130;
  return exitCodeOf(record.status);
}

/** SIGINT/SIGTERM cancel the run; a second one exits at once. */
function stopOnSignals(io: CliIO) {
  const controller = new AbortController();
  let stoppedBy: string | null = null;
  const onSignal = (signal: NodeJS.Signals): void => {
    if (stoppedBy) process.exit(SIGNAL_EXIT[signal] ?? 130); // a second signal: stop waiting for cleanup
    stoppedBy = signal;
    io.stderr.write(`\n${signal}: cancelling; cleaning up (send it again to exit now)\n`);
    controller.abort();
  };
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);
  return {
    signal: controller.signal,
    stoppedBy: () => stoppedBy,
    release: () => {
      process.off("SIGINT", onSignal);
      process.off("SIGTERM", onSignal);
    },
  };
}

function parseConcurrency(value: string | undefined): number {
  if (value === undefined) return DEFAULT_CONCURRENCY;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > 64) {
    throw new UsageError(`pikaci run: --concurrency must be a whole number from 1 to 64, got \`${value}\``, {
      hint: "e.g. --concurrency 4",
    });
  }
  return n;
}

function parseWarmPool(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!/^\d+$/.test(value) || n > 64) {
    throw new UsageError(`pikaci run: --warm-pool must be a whole number from 0 to 64, got \`${value}\``, {
      hint: "e.g. --warm-pool 4 (0 turns the pool off)",
    });
  }
  return n;
}

/** `<repo>/.github/pikaci.yml` → `<repo>`; any other config → the current directory. */
export function inferWorkspace(configAbs: string, cwd: string): string {
  const dir = path.dirname(configAbs);
  return path.basename(dir) === ".github" ? path.dirname(dir) : cwd;
}

function progressFor(io: CliIO, json: boolean): { onEvent: (event: RunEvent) => void; stop: () => void } {
  if (json) return { onEvent: (event) => io.stdout.write(`${JSON.stringify(event)}\n`), stop: () => {} };
  if (io.isTTY) {
    const tty = new TtyProgress(io.stdout);
    let header = false;
    return {
      onEvent: (event) => {
        if (event.type === "run_started" && !header) {
          header = true;
          io.stdout.write(`run ${event.run_id}: ${event.lanes.length} lane(s)\n`);
        }
        if (event.type !== "job_log") tty.onEvent(event);
      },
      stop: () => tty.stop(),
    };
  }
  let startMs: number | null = null;
  return {
    onEvent: (event) => {
      startMs ??= Date.parse(event.at);
      const line = event.type === "run_finished" ? null : plainLine(event, startMs);
      if (line) io.stdout.write(`${line}\n`);
    },
    stop: () => {},
  };
}

async function failureTails(store: StateStore, run: RunRecord): Promise<Map<string, string>> {
  const tails = new Map<string, string>();
  for (const job of run.jobs.filter((j) => j.status === "failed" && j.failure_kind !== "infrastructure")) {
    // Only the end of the log is read: a lane may have printed up to its log_limit.
    const tail = await readLogTail(store, run.run_id, job.lane_id, "guest").catch(() => null);
    const text = tail?.text ?? "";
    if (text.trim()) tails.set(job.lane_id, lastLines(text, 8).text);
  }
  return tails;
}
