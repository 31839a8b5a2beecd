/**
 * The Action as GitHub runs it: `node dist/index.js` (and dist/post.js) in a child process with
 * INPUT_* variables and the runner's environment, against a recording stand-in for GitHub's REST
 * API and one for the artifact results service. Shared by the e2e tests and bench/.
 */
import { execFileSync, spawn } from "node:child_process";
import { mkdir, mkdtemp, readFile, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { type ArtifactStandIn, startArtifactStandIn } from "../../helpers/artifact-standin.js";
import { type GitHubStandIn, startGitHubStandIn } from "../../helpers/github-standin.js";
import { requireTestHost } from "./test-host.js";

export const ROOT = path.resolve(import.meta.dirname, "../../..");
export const TOKEN = "ghs_e2eTokenThatMustNeverLeak0123456789";
/** GITHUB_SHA in every scenario: on workflow_dispatch it is the default branch's tip, not the PR head. */
export const HEAD_SHA = "c0ffee".padEnd(40, "0");

export function node24(): string {
  return execFileSync("bash", [path.join(ROOT, "scripts/node24.sh")], { encoding: "utf8" })
    .trim()
    .split("\n")
    .pop()!;
}

export interface HostInputs {
  host: string;
  keyFile: string;
  knownHostsFile: string;
  image: string;
}

/** The real build host from test/host/setup.sh, as the action's inputs need it; null only under PIKACI_E2E=0. */
export function readHostEnv(): HostInputs | null {
  const t = requireTestHost();
  if (!t) return null;
  // The Debian image has bash and setpriv, which lanes that run as an unprivileged user need.
  return {
    host: `ssh://${t.sshUser}@${t.sshHost}:${t.sshPort}`,
    keyFile: t.sshKey,
    knownHostsFile: t.knownHostsFile,
    image: t.imageDebian,
  };
}

export interface Scenario {
  github: GitHubStandIn;
  artifacts: ArtifactStandIn;
  dir: string;
  workspace: string;
  runnerTemp: string;
  files: { output: string; summary: string; state: string; event: string };
  /** HEAD of the workspace when it was made a git repository (`git: true`). */
  checkoutHead?: string;
}

export interface ScenarioOptions {
  config: string;
  event?: unknown;
  pullFiles?: string[];
  /** Commit the workspace, as actions/checkout leaves it. */
  git?: boolean;
  /** Extra files (path → content) in the workspace. */
  extraFiles?: Record<string, string | Buffer>;
}

export async function scenario(options: ScenarioOptions): Promise<Scenario> {
  const dir = await mkdtemp(path.join(tmpdir(), "pikaci-action-e2e-"));
  const workspace = path.join(dir, "repo");
  const runnerTemp = path.join(dir, "runner-temp");
  await mkdir(path.join(workspace, ".github"), { recursive: true });
  await mkdir(path.join(workspace, "src"), { recursive: true });
  await mkdir(runnerTemp, { recursive: true });
  await writeFile(path.join(workspace, ".github/pikaci.yml"), options.config);
  await writeFile(path.join(workspace, "src/app.ts"), "// app\nconst n: number = 'x';\n");
  for (const [name, content] of Object.entries(options.extraFiles ?? {})) {
    await mkdir(path.dirname(path.join(workspace, name)), { recursive: true });
    await writeFile(path.join(workspace, name), content);
  }
  const files = {
    output: path.join(dir, "github_output"),
    summary: path.join(dir, "step_summary"),
    state: path.join(dir, "github_state"),
    event: path.join(dir, "event.json"),
  };
  for (const f of [files.output, files.summary, files.state]) await writeFile(f, "");
  await writeFile(files.event, JSON.stringify(options.event ?? {}));
  let checkoutHead: string | undefined;
  if (options.git) {
    const git = (...args: string[]) =>
      execFileSync("git", ["-C", workspace, ...args], {
        encoding: "utf8",
        env: {
          ...process.env,
          GIT_AUTHOR_NAME: "t",
          GIT_AUTHOR_EMAIL: "t@t",
          GIT_COMMITTER_NAME: "t",
          GIT_COMMITTER_EMAIL: "t@t",
        },
      }).trim();
    git("init", "-q");
    git("add", "-A");
    git("commit", "-qm", "pr head");
    checkoutHead = git("rev-parse", "HEAD");
  }
  return {
    github: await startGitHubStandIn({ pullFiles: options.pullFiles ?? [] }),
    artifacts: await startArtifactStandIn(),
    dir,
    workspace,
    runnerTemp,
    files,
    ...(checkoutHead ? { checkoutHead } : {}),
  };
}

export interface ActionProcess {
  child: ReturnType<typeof spawn>;
  /** Resolves when the process has exited; `closedAt` is Date.now() then. */
  done: Promise<{
    code: number | null;
    signal: NodeJS.Signals | null;
    stdout: string;
    stderr: string;
    closedAt: number;
  }>;
}

/**
 * Start the bundled action. In dispatched mode (`check-runs` set) the App's check runs are seeded
 * into the GitHub stand-in first, queued, as the App creates them before it dispatches.
 */
export function startAction(
  node: string,
  script: string,
  s: Scenario,
  inputs: Record<string, string>,
  eventName: string,
  extraEnv: Record<string, string> = {},
): ActionProcess {
  if (inputs["check-runs"]) {
    for (const [name, id] of Object.entries(JSON.parse(inputs["check-runs"]) as Record<string, number>))
      if (!s.github.checkRuns.has(id))
        s.github.seedCheckRun(id, { name, head_sha: s.checkoutHead ?? HEAD_SHA });
  }
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? "/usr/bin:/bin",
    HOME: s.dir,
    GITHUB_ACTIONS: "true",
    GITHUB_API_URL: s.github.url,
    GITHUB_SERVER_URL: "https://github.com",
    GITHUB_REPOSITORY: "octo/demo",
    GITHUB_RUN_ID: "4242",
    GITHUB_SHA: HEAD_SHA,
    GITHUB_EVENT_NAME: eventName,
    GITHUB_EVENT_PATH: s.files.event,
    GITHUB_WORKSPACE: s.workspace,
    GITHUB_OUTPUT: s.files.output,
    GITHUB_STEP_SUMMARY: s.files.summary,
    GITHUB_STATE: s.files.state,
    RUNNER_TEMP: s.runnerTemp,
    ACTIONS_RESULTS_URL: `${s.artifacts.url}/`,
    ACTIONS_RUNTIME_TOKEN: s.artifacts.runtimeToken,
    PIKACI_CHECK_INTERVAL_MS: "700",
    ...extraEnv,
  };
  for (const [name, value] of Object.entries(inputs)) env[`INPUT_${name.toUpperCase()}`] = value;
  const child = spawn(node, [path.join(ROOT, "dist", script)], { cwd: s.workspace, env });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (c: Buffer) => (stdout += c.toString()));
  child.stderr.on("data", (c: Buffer) => (stderr += c.toString()));
  const done = new Promise<Awaited<ActionProcess["done"]>>((resolve) => {
    child.on("close", (code, signal) => resolve({ code, signal, stdout, stderr, closedAt: Date.now() }));
  });
  return { child, done };
}

export async function runAction(
  node: string,
  script: string,
  s: Scenario,
  inputs: Record<string, string>,
  eventName: string,
  whileRunning?: (child: ReturnType<typeof spawn>) => void,
) {
  const p = startAction(node, script, s, inputs, eventName);
  whileRunning?.(p.child);
  return p.done;
}

/** GITHUB_OUTPUT / GITHUB_STATE use `name<<DELIM\nvalue\nDELIM` blocks. */
export function parseCommandFile(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  const re = /^([^<\n]+)<<(\S+)\n([\s\S]*?)\n\2$/gm;
  for (const m of text.matchAll(re)) out[m[1]!] = m[3]!;
  return out;
}

export async function outputsOf(s: Scenario): Promise<Record<string, string>> {
  return parseCommandFile(await readFile(s.files.output, "utf8"));
}
