import { type ChildProcess, execFile, spawn } from "node:child_process";
import { createPublicKey } from "node:crypto";
import { mkdir, readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import { promisify } from "node:util";
import { parse } from "yaml";
import { type ArtifactStandIn, startArtifactStandIn } from "../../../helpers/artifact-standin.js";
import type { Repository } from "./repository.js";
import { condition, interpolate, type Step, type WorkflowFile } from "./workflow-file.js";

const run = promisify(execFile);

/**
 * One job of a dispatched workflow, run as the Actions runner runs it: steps in order in a fresh
 * workspace, JavaScript actions as `node <main>` with INPUT_* variables (name upper-cased, dashes
 * kept) and action.yml's defaults, GITHUB_SHA the tip of the dispatched ref (not the pull
 * request's head), an artifact results service, then the post steps, which run even after a
 * cancel. Cancelling sends SIGINT to the running step, SIGTERM 7.5 s later, SIGKILL 2.5 s after.
 */
export interface JobContext {
  repo: Repository;
  workflow: WorkflowFile;
  workflowPath: string;
  runId: number;
  ref: string;
  refSha: string;
  inputs: Record<string, string>;
  apiUrl: string;
  serverUrl: string;
  dir: string;
  vars: Record<string, string>;
  secrets: Record<string, string>;
  /** The action under test (`pikaci/pikaci@…` and `./` resolve to it): its directory and Node. */
  action: { root: string; node: string; uses: RegExp };
  mintToken(params: { appId?: number; privateKey?: string }): string;
  githubToken: string;
}

export interface StepRecord {
  name: string;
  phase: "main" | "post";
  exitCode: number | null;
  signal: NodeJS.Signals | null;
  output: string;
  /** ms since epoch. */
  startedAt: number;
  endedAt: number;
}

export interface JobHandle {
  steps: StepRecord[];
  signals: { signal: NodeJS.Signals; at: number }[];
  cancelRequestedAt: number | null;
  artifacts: ArtifactStandIn | null;
  cancel(): void;
  done: Promise<{ conclusion: "success" | "failure" | "cancelled" }>;
}

export const SIGTERM_AFTER_MS = 7_500;
export const SIGKILL_AFTER_MS = 2_500;

export function startJob(ctx: JobContext): JobHandle {
  const handle: JobHandle = {
    steps: [],
    signals: [],
    cancelRequestedAt: null,
    artifacts: null,
    cancel: () => {},
    done: Promise.resolve({ conclusion: "success" }),
  };
  const timers: NodeJS.Timeout[] = [];
  const signalled = new Set<ChildProcess>();
  let current: ChildProcess | null = null;
  // The runner's cancel sequence for the step running now (or the next one, should it start).
  const escalate = (child: ChildProcess) => {
    if (signalled.has(child)) return;
    signalled.add(child);
    const send = (signal: NodeJS.Signals) => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      handle.signals.push({ signal, at: Date.now() });
      child.kill(signal);
    };
    send("SIGINT");
    timers.push(setTimeout(() => send("SIGTERM"), SIGTERM_AFTER_MS));
    timers.push(setTimeout(() => send("SIGKILL"), SIGTERM_AFTER_MS + SIGKILL_AFTER_MS));
  };
  handle.cancel = () => {
    if (handle.cancelRequestedAt !== null) return;
    handle.cancelRequestedAt = Date.now();
    if (current) escalate(current);
  };
  handle.done = execute(ctx, handle, (child, phase) => {
    current = child;
    if (child && phase === "main" && handle.cancelRequestedAt !== null) escalate(child);
  }).finally(() => {
    for (const t of timers) clearTimeout(t);
  });
  return handle;
}

type SetCurrent = (c: ChildProcess | null, phase: "main" | "post") => void;

/** The job's world while its steps run: the runner's files and environment, and what steps left behind. */
interface Job {
  ctx: JobContext;
  handle: JobHandle;
  setCurrent: SetCurrent;
  workspace: string;
  stateFile: string;
  env: Record<string, string>;
  steps: Record<string, { outputs: Record<string, string> }>;
  posts: { name: string; argv: string[]; env: Record<string, string> }[];
  secrets: string[];
  success: boolean;
}

interface StepResult {
  exitCode: number | null;
  signal?: NodeJS.Signals | null;
  output: string;
  outputs?: Record<string, string>;
}

async function execute(ctx: JobContext, handle: JobHandle, setCurrent: SetCurrent) {
  handle.artifacts = await startArtifactStandIn();
  const job = await prepare(ctx, handle, setCurrent);
  for (const [index, step] of ctx.workflow.job.steps.entries()) {
    const name = step.id ?? step.name ?? step.uses ?? `step ${index + 1}`;
    // Without `if:`, a step runs only while the job succeeds and is not cancelled.
    const wanted =
      step.if === undefined
        ? job.success && handle.cancelRequestedAt === null
        : condition(step.if, contexts(job));
    if (!wanted) continue;
    const startedAt = Date.now();
    const result = await runStep(job, step, name, index).catch(
      (error: Error): StepResult => ({ exitCode: 1, output: error.message }),
    );
    if (result.outputs) job.steps[step.id ?? name] = { outputs: result.outputs };
    if (result.exitCode !== 0) job.success = false;
    handle.steps.push({
      name,
      phase: "main",
      exitCode: result.exitCode,
      signal: result.signal ?? null,
      output: result.output,
      startedAt,
      endedAt: Date.now(),
    });
  }
  await runPosts(job);
  await handle.artifacts.close();
  const conclusion = handle.cancelRequestedAt !== null ? "cancelled" : job.success ? "success" : "failure";
  return { conclusion } as const;
}

async function prepare(ctx: JobContext, handle: JobHandle, setCurrent: SetCurrent): Promise<Job> {
  const workspace = path.join(ctx.dir, "workspace");
  const temp = path.join(ctx.dir, "runner-temp");
  const file = (name: string) => path.join(ctx.dir, name);
  await mkdir(temp, { recursive: true });
  await writeFile(file("event.json"), JSON.stringify(dispatchEvent(ctx)));
  for (const f of ["state", "summary", "env", "path"]) await writeFile(file(f), "");
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? "/usr/bin:/bin",
    HOME: ctx.dir,
    CI: "true",
    GITHUB_ACTIONS: "true",
    GITHUB_API_URL: ctx.apiUrl,
    GITHUB_SERVER_URL: ctx.serverUrl,
    GITHUB_REPOSITORY: ctx.repo.fullName,
    GITHUB_REPOSITORY_OWNER: ctx.repo.owner,
    GITHUB_RUN_ID: String(ctx.runId),
    GITHUB_RUN_NUMBER: String(ctx.runId),
    GITHUB_RUN_ATTEMPT: "1",
    GITHUB_SHA: ctx.refSha,
    GITHUB_REF: `refs/heads/${ctx.ref}`,
    GITHUB_REF_NAME: ctx.ref,
    GITHUB_EVENT_NAME: "workflow_dispatch",
    GITHUB_EVENT_PATH: file("event.json"),
    GITHUB_WORKSPACE: workspace,
    GITHUB_JOB: ctx.workflow.job.name,
    GITHUB_STATE: file("state"),
    GITHUB_STEP_SUMMARY: file("summary"),
    GITHUB_ENV: file("env"),
    GITHUB_PATH: file("path"),
    RUNNER_TEMP: temp,
    RUNNER_OS: "Linux",
    ACTIONS_RESULTS_URL: `${handle.artifacts!.url}/`,
    ACTIONS_RUNTIME_TOKEN: handle.artifacts!.runtimeToken,
  };
  return {
    ctx,
    handle,
    setCurrent,
    workspace,
    stateFile: file("state"),
    env,
    steps: {},
    posts: [],
    secrets: [...Object.values(ctx.secrets), ctx.githubToken],
    success: true,
  };
}

function contexts(job: Job): Record<string, unknown> {
  const { ctx } = job;
  return {
    inputs: ctx.inputs,
    vars: ctx.vars,
    secrets: ctx.secrets,
    steps: job.steps,
    github: githubContext(ctx),
    __success: job.success,
    __cancelled: job.handle.cancelRequestedAt !== null,
  };
}

/** The steps the stand-in runner knows: checkout, an App token, and the JavaScript action under test. */
async function runStep(job: Job, step: Step, name: string, index: number): Promise<StepResult> {
  const { ctx } = job;
  const withValues = Object.fromEntries(
    Object.entries(step.with).map(([k, v]) => [k, interpolate(v, contexts(job))]),
  );
  if (step.uses?.startsWith("actions/checkout@")) {
    const ref = withValues.ref || ctx.refSha;
    const sha = ctx.repo.resolve(ref);
    if (!sha) throw new Error(`actions/checkout: ref ${ref} not found`);
    await run("git", ["clone", "--quiet", "--no-checkout", ctx.repo.dir, job.workspace]);
    await run("git", ["-C", job.workspace, "checkout", "--quiet", "--detach", sha]);
    return { exitCode: 0, output: `checked out ${sha}` };
  }
  if (step.uses?.startsWith("actions/create-github-app-token@")) {
    const token = ctx.mintToken({
      appId: Number(withValues["app-id"]),
      privateKey: withValues["private-key"],
    });
    return { exitCode: 0, output: "minted an installation token", outputs: { token } };
  }
  if (step.uses && ctx.action.uses.test(step.uses)) return javascriptAction(job, { name, index, withValues });
  throw new Error(`the stand-in runner does not know the step ${JSON.stringify(step.uses ?? step.run)}`);
}

async function javascriptAction(
  job: Job,
  step: { name: string; index: number; withValues: Record<string, string> },
): Promise<StepResult> {
  const { ctx } = job;
  const meta = parse(await readFile(path.join(ctx.action.root, "action.yml"), "utf8")) as ActionMeta;
  const env = {
    ...job.env,
    ...actionInputs(meta, step.withValues, contexts(job)),
    GITHUB_ACTION: step.name,
  };
  const output = path.join(ctx.dir, `output-${step.index}`);
  await writeFile(output, "");
  const main = path.join(ctx.action.root, meta.runs.main);
  const result = await spawnStep(
    [ctx.action.node, main],
    { ...env, GITHUB_OUTPUT: output },
    job.workspace,
    (c) => job.setCurrent(c, "main"),
    job.secrets,
  );
  // Post steps run in reverse order, and even after a failure or a cancel.
  if (meta.runs.post)
    job.posts.unshift({
      name: step.name,
      argv: [ctx.action.node, path.join(ctx.action.root, meta.runs.post)],
      env,
    });
  return {
    exitCode: result.code,
    signal: result.signal,
    output: result.output,
    outputs: parseCommandFile(await readFile(output, "utf8")),
  };
}

async function runPosts(job: Job): Promise<void> {
  for (const post of job.posts) {
    const startedAt = Date.now();
    const state = parseCommandFile(await readFile(job.stateFile, "utf8"));
    const stateEnv = Object.fromEntries(Object.entries(state).map(([k, v]) => [`STATE_${k}`, v]));
    const result = await spawnStep(
      post.argv,
      { ...post.env, ...stateEnv },
      job.workspace,
      (c) => job.setCurrent(c, "post"),
      job.secrets,
    );
    job.handle.steps.push({
      name: post.name,
      phase: "post",
      exitCode: result.code,
      signal: result.signal,
      output: result.output,
      startedAt,
      endedAt: Date.now(),
    });
  }
}

interface ActionMeta {
  inputs?: Record<string, { default?: unknown }>;
  runs: { using: string; main: string; post?: string };
}

/** INPUT_<NAME>: every input of action.yml, from `with:` or else its default (expressions evaluated). */
function actionInputs(
  meta: ActionMeta,
  withValues: Record<string, string>,
  contexts: Record<string, unknown>,
) {
  const env: Record<string, string> = {};
  for (const [name, spec] of Object.entries(meta.inputs ?? {})) {
    const value = withValues[name] ?? (spec.default === undefined ? "" : interpolate(spec.default, contexts));
    env[`INPUT_${name.replace(/ /g, "_").toUpperCase()}`] = value;
  }
  for (const [name, value] of Object.entries(withValues)) {
    if (!(name in (meta.inputs ?? {}))) env[`INPUT_${name.replace(/ /g, "_").toUpperCase()}`] = value;
  }
  return env;
}

function spawnStep(
  argv: string[],
  env: Record<string, string>,
  cwd: string,
  setCurrent: (c: ChildProcess | null) => void,
  secrets: string[],
): Promise<{ code: number | null; signal: NodeJS.Signals | null; output: string }> {
  return new Promise((resolve) => {
    const child = spawn(argv[0]!, argv.slice(1), { cwd, env, stdio: ["ignore", "pipe", "pipe"] });
    setCurrent(child);
    let output = "";
    child.stdout!.on("data", (c: Buffer) => (output += c.toString()));
    child.stderr!.on("data", (c: Buffer) => (output += c.toString()));
    child.on("error", (error) => (output += `\n${error.message}`));
    child.on("close", (code, signal) => {
      setCurrent(null);
      resolve({ code, signal, output: masked(output, secrets) });
    });
  });
}

/** The log as the runner shows it: registered masks (`::add-mask::`) and the secrets it passed, as ***. */
function masked(output: string, secrets: string[]): string {
  const needles = [
    ...secrets.flatMap((s) => s.split("\n")),
    ...[...output.matchAll(/^::add-mask::(.*)$/gm)].map((m) => m[1]!),
  ]
    .map((n) => n.trim())
    .filter((n) => n.length >= 4)
    .sort((a, b) => b.length - a.length);
  // Debug lines show only in a debug run (ACTIONS_STEP_DEBUG).
  let text = output.replace(/^::(add-mask|debug)::.*\n?/gm, "");
  for (const needle of needles) text = text.split(needle).join("***");
  return text;
}

/** GITHUB_OUTPUT / GITHUB_STATE: `name<<DELIM\nvalue\nDELIM` blocks (and plain `name=value` lines). */
export function parseCommandFile(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  const lines = text.split("\n");
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    const heredoc = /^([^<=\n]+)<<(\S+)$/.exec(line);
    if (heredoc) {
      const end = lines.indexOf(heredoc[2]!, i + 1);
      out[heredoc[1]!] = lines.slice(i + 1, end).join("\n");
      i = end;
    } else if (line.includes("=")) {
      out[line.slice(0, line.indexOf("="))] = line.slice(line.indexOf("=") + 1);
    }
  }
  return out;
}

function githubContext(ctx: JobContext) {
  return {
    token: ctx.githubToken,
    repository: ctx.repo.fullName,
    repository_owner: ctx.repo.owner,
    run_id: String(ctx.runId),
    sha: ctx.refSha,
    ref: `refs/heads/${ctx.ref}`,
    ref_name: ctx.ref,
    event_name: "workflow_dispatch",
    event: dispatchEvent(ctx),
    server_url: ctx.serverUrl,
    api_url: ctx.apiUrl,
  };
}

function dispatchEvent(ctx: JobContext) {
  return {
    inputs: ctx.inputs,
    ref: `refs/heads/${ctx.ref}`,
    repository: { full_name: ctx.repo.fullName, name: ctx.repo.name, owner: { login: ctx.repo.owner } },
    sender: { login: "pikaci[bot]" },
    workflow: ctx.workflowPath,
  };
}

/** Whether a PEM private key is the one whose public half is `publicPem`. */
export function sameKey(privateKeyPem: string, expectedPrivatePem: string): boolean {
  try {
    const a = createPublicKey(privateKeyPem).export({ type: "spki", format: "pem" });
    const b = createPublicKey(expectedPrivatePem).export({ type: "spki", format: "pem" });
    return a === b;
  } catch {
    return false;
  }
}
