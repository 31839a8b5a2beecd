/**
 * Cancel the bundled Action the way GitHub's runner does (SIGINT; SIGTERM 7.5 s later; SIGKILL
 * 2.5 s after that) at a chosen point of a run on the real build host, and measure what a
 * cancelled job leaves: how long the process took to exit after SIGINT, whether every check run
 * is terminal, and whether the artifact was uploaded. Shared by the e2e test and bench/.
 */
import { randomBytes } from "node:crypto";
import { existsSync, readdirSync } from "node:fs";
import { readFile } from "node:fs/promises";
import path from "node:path";
import { readZip } from "../../helpers/artifact-standin.js";
import {
  type HostInputs,
  outputsOf,
  parseCommandFile,
  type Scenario,
  scenario,
  startAction,
  TOKEN,
} from "./action-harness.js";

/** One lane at a time: `first` runs ~2 s of output, `second` waits for its slot. */
export const CANCEL_CONFIG = `version: 1
lanes:
  - id: first
    command: |
      i=0; while [ $i -lt 20 ]; do echo "tick $i"; i=$((i+1)); sleep 0.1; done
  - id: second
    command: echo second
`;

const CHECKS = { first: 201, second: 202 };
const PHASES = [
  "prepare directories",
  "sync snapshot",
  "prepare runtime",
  "launch guest",
  "wait for completion",
  "collect artifacts",
  "cleanup",
];

export type Trigger =
  | { kind: "stdout" }
  | { kind: "run-json" }
  | { kind: "started" }
  | { kind: "phase"; phase: string; delayMs?: number }
  | { kind: "concluded" };

export interface CancelPoint {
  name: string;
  trigger: Trigger;
  /** The App concludes every open check run "Superseded by …" just before the job is cancelled. */
  supersede: boolean;
}

/** Ten points of a run, from before the engine starts to between two lanes. */
export const CANCEL_POINTS: CancelPoint[] = [
  { name: "before the engine starts", trigger: { kind: "stdout" }, supersede: false },
  { name: "hashing the snapshot", trigger: { kind: "run-json" }, supersede: false },
  { name: "lane started", trigger: { kind: "started" }, supersede: true },
  { name: "sync snapshot", trigger: { kind: "phase", phase: "sync snapshot" }, supersede: false },
  { name: "prepare runtime", trigger: { kind: "phase", phase: "prepare runtime" }, supersede: true },
  { name: "launch guest", trigger: { kind: "phase", phase: "launch guest" }, supersede: false },
  { name: "command running", trigger: { kind: "phase", phase: "wait for completion" }, supersede: true },
  {
    name: "command running, 1 s in",
    trigger: { kind: "phase", phase: "wait for completion", delayMs: 1000 },
    supersede: false,
  },
  { name: "collect artifacts", trigger: { kind: "phase", phase: "collect artifacts" }, supersede: false },
  { name: "between lanes", trigger: { kind: "concluded" }, supersede: true },
];

export interface CancelOutcome {
  point: string;
  /** ms from SIGINT to the process's exit. */
  exitMs: number;
  exitCode: number | null;
  exitSignal: NodeJS.Signals | null;
  /** What the running lane's check run showed when the signal was sent. */
  seenAt: string;
  /** Check run id → [status, conclusion, title]. */
  checks: Record<number, [unknown, unknown, string | undefined]>;
  /** Updates the action sent to a check run after it was completed (must be none but an in-flight one). */
  lateUpdates: { id: number; afterMs: number; status: unknown }[];
  /** An update marking a check in progress that arrived after the same check was concluded. */
  progressAfterConclusion: number[];
  artifact: { uploaded: boolean; files: string[]; runStatus: unknown; runFinished: unknown };
  supersededTitle: string | undefined;
  /** The check runs the App concluded "Superseded by …" (those still open at that moment). */
  superseded: number[];
  postExitCode: number | null;
}

const titleOf = (u: Record<string, unknown> | undefined) =>
  (u?.output as { title?: string } | undefined)?.title;

function lastProgress(s: Scenario): string {
  const updates = s.github.checkRuns.get(CHECKS.first)?.updates ?? [];
  return titleOf(updates.findLast((u) => u.status === "in_progress")) ?? "(no progress yet)";
}

function phaseIndex(title: string): number {
  return PHASES.findIndex((p) => title.includes(`Running: ${p}`));
}

function runJsonWritten(s: Scenario): boolean {
  const runs = path.join(s.runnerTemp, "pikaci", "runs");
  if (!existsSync(runs)) return false;
  return readdirSync(runs).some((r) => existsSync(path.join(runs, r, "run.json")));
}

/** True when the trigger's moment has come (or passed: a phase too short to be seen is not waited for forever). */
function reached(trigger: Trigger, s: Scenario, stdout: () => string, since: { at?: number }): boolean {
  switch (trigger.kind) {
    case "stdout":
      return stdout().length > 0;
    case "run-json":
      return runJsonWritten(s);
    case "started":
      return (s.github.checkRuns.get(CHECKS.first)?.updates.length ?? 0) > 0;
    case "concluded":
      return s.github.checkRuns.get(CHECKS.first)?.status === "completed";
    case "phase": {
      const updates = s.github.checkRuns.get(CHECKS.first)?.updates ?? [];
      const want = PHASES.indexOf(trigger.phase);
      const seen = updates.some((u) => u.status === "in_progress" && phaseIndex(titleOf(u) ?? "") >= want);
      const done = s.github.checkRuns.get(CHECKS.first)?.status === "completed";
      if (!seen && !done) return false;
      since.at ??= Date.now();
      return Date.now() - since.at >= (trigger.delayMs ?? 0);
    }
  }
}

export interface CancelParams {
  node: string;
  host: HostInputs;
  point: CancelPoint;
  /** Time allowed for the whole run before the point is declared missed. */
  timeoutMs?: number;
}

export async function cancelAt(params: CancelParams): Promise<CancelOutcome> {
  const { node, host, point } = params;
  // Fresh content each time, so the snapshot is really hashed and synced (not found on the host).
  const s = await scenario({
    config: CANCEL_CONFIG,
    git: true,
    extraFiles: { "data/blob.bin": randomBytes(8 * 1024 * 1024) },
  });
  try {
    const inputs: Record<string, string> = {
      token: TOKEN,
      host: host.host,
      "ssh-key": await readFile(host.keyFile, "utf8"),
      "ssh-known-hosts": await readFile(host.knownHostsFile, "utf8"),
      image: host.image,
      "check-runs": JSON.stringify(CHECKS),
      "head-sha": s.checkoutHead!,
      "pull-request": "12",
      concurrency: "1",
    };
    const proc = startAction(node, "index.js", s, inputs, "workflow_dispatch", {
      PIKACI_CHECK_INTERVAL_MS: "50",
    });
    let stdout = "";
    proc.child.stdout?.on("data", (c: Buffer) => (stdout += c.toString()));
    const signals = await signalWhen({
      s,
      proc,
      point,
      stdout: () => stdout,
      timeoutMs: params.timeoutMs ?? 120_000,
    });
    const exit = await proc.done;
    const outcome = await collect({ s, point, signals, exit });
    outcome.postExitCode = await runPost({ node, s, inputs });
    return outcome;
  } finally {
    await s.github.close();
    await s.artifacts.close();
  }
}

interface Signals {
  sigintAt: number;
  seenAt: string;
  supersededAt: number | undefined;
  superseded: number[];
}

/** Watch the run; at the point, play the App (if superseding), then send the runner's signals. */
function signalWhen(p: {
  s: Scenario;
  proc: ReturnType<typeof startAction>;
  point: CancelPoint;
  stdout: () => string;
  timeoutMs: number;
}): Promise<Signals> {
  const { s, proc, point } = p;
  const since: { at?: number } = {};
  const deadline = Date.now() + p.timeoutMs;
  return new Promise((resolve, reject) => {
    const timer = setInterval(() => {
      if (Date.now() > deadline) {
        clearInterval(timer);
        proc.child.kill("SIGKILL");
        reject(new Error(`cancel point "${point.name}" was never reached`));
        return;
      }
      if (!reached(point.trigger, s, p.stdout, since)) return;
      clearInterval(timer);
      const seenAt =
        point.trigger.kind === "stdout" || point.trigger.kind === "run-json" ? point.name : lastProgress(s);
      let supersededAt: number | undefined;
      const superseded: number[] = [];
      if (point.supersede) {
        for (const id of Object.values(CHECKS)) {
          if (s.github.checkRuns.get(id)?.status === "completed") continue;
          superseded.push(id);
          s.github.concludeCheckRun(id, "cancelled", {
            title: "Superseded by 1234567",
            summary: "A newer commit.",
          });
        }
        supersededAt = Date.now();
      }
      const sigintAt = Date.now();
      proc.child.kill("SIGINT");
      const term = setTimeout(() => proc.child.kill("SIGTERM"), 7500);
      const kill = setTimeout(() => proc.child.kill("SIGKILL"), 10_000);
      void proc.done.then(() => {
        clearTimeout(term);
        clearTimeout(kill);
      });
      resolve({ sigintAt, seenAt, supersededAt, superseded });
    }, 10);
    void proc.done.then(() => clearInterval(timer));
  });
}

async function collect(p: {
  s: Scenario;
  point: CancelPoint;
  signals: Signals;
  exit: Awaited<ReturnType<typeof startAction>["done"]>;
}): Promise<CancelOutcome> {
  const { s, signals, exit } = p;
  const checks: CancelOutcome["checks"] = {};
  const lateUpdates: CancelOutcome["lateUpdates"] = [];
  const progressAfterConclusion: number[] = [];
  for (const id of Object.values(CHECKS)) {
    const run = s.github.checkRuns.get(id);
    checks[id] = [run?.status, run?.conclusion, titleOf(run)];
    let concluded = false;
    for (const u of run?.updates ?? []) {
      if (concluded && u.status === "in_progress") progressAfterConclusion.push(id);
      if (u.status === "completed") concluded = true;
    }
    if (signals.supersededAt !== undefined && signals.superseded.includes(id)) {
      const patches = s.github.requests.filter(
        (r) => r.method === "PATCH" && r.path.endsWith(`/check-runs/${id}`) && r.at >= signals.supersededAt!,
      );
      for (const r of patches)
        lateUpdates.push({
          id,
          afterMs: r.at - signals.supersededAt,
          status: (r.body as { status?: unknown }).status,
        });
    }
  }
  const outputs = await outputsOf(s);
  const artifact = s.artifacts.artifacts.get(`pikaci-${outputs["run-id"] ?? ""}`);
  const zipped = artifact ? readZip(artifact.zip) : new Map<string, Buffer>();
  const run = zipped.has("run.json")
    ? (JSON.parse(zipped.get("run.json")!.toString()) as Record<string, unknown>)
    : {};
  return {
    point: p.point.name,
    exitMs: exit.closedAt - signals.sigintAt,
    exitCode: exit.code,
    exitSignal: exit.signal,
    seenAt: signals.seenAt,
    checks,
    lateUpdates,
    progressAfterConclusion,
    artifact: {
      uploaded: artifact?.finalizeRequest !== undefined,
      files: [...zipped.keys()].sort(),
      runStatus: run.status,
      runFinished: run.finished_at,
    },
    supersededTitle: signals.supersededAt === undefined ? undefined : "Superseded by 1234567",
    superseded: signals.superseded,
    postExitCode: null,
  };
}

/** The post step, as the runner runs it after a cancelled main step: it sweeps the run's instances. */
async function runPost(p: {
  node: string;
  s: Scenario;
  inputs: Record<string, string>;
}): Promise<number | null> {
  const state = parseCommandFile(await readFile(p.s.files.state, "utf8"));
  const env: Record<string, string> = {};
  for (const [name, value] of Object.entries(state)) env[`STATE_${name}`] = value;
  const post = startAction(p.node, "post.js", p.s, p.inputs, "workflow_dispatch", env);
  return (await post.done).code;
}

export function distribution(ms: number[]): { min: number; median: number; max: number } {
  const sorted = [...ms].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  const median = sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
  return { min: sorted[0]!, median, max: sorted.at(-1)! };
}
