// Shared plumbing for the `pikaci` CLI end-to-end suites against the real test host: spawn the CLI,
// talk to the host with the stock OpenSSH client (independent of pikaci's own ssh2 transport), and
// give each suite its own Incus project and remote work dir, so its instance checks and `pikaci gc`
// never see, or reap, what other suites on the same host are running.
import { type ChildProcess, spawn } from "node:child_process";
import { readdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import { RunRecord } from "../../../src/schema/index.js";
import { REPO_ROOT, type TestHost } from "./test-host.js";

export const BIN = join(REPO_ROOT, "bin/pikaci.js");

export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** Runs `node bin/pikaci.js ARGS` with a minimal environment (no caller secrets, no ssh agent). */
export function pikaci(
  args: string[],
  options: { cwd: string; env?: NodeJS.ProcessEnv; onSpawn?: (child: ChildProcess) => void },
): Promise<CliResult> {
  return new Promise((done, fail) => {
    const child = spawn(process.execPath, [BIN, ...args], {
      cwd: options.cwd,
      env: { PATH: process.env.PATH, HOME: process.env.HOME, ...options.env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk) => {
      stdout += chunk;
    });
    child.stderr.on("data", (chunk) => {
      stderr += chunk;
    });
    child.on("error", fail);
    options.onSpawn?.(child);
    child.on("close", (code, signal) => done({ code, signal, stdout, stderr }));
  });
}

/** Where one suite runs its lanes on the host: an Incus project of its own and a remote work dir. */
export interface Sandbox {
  project: string;
  remoteWorkDir: string;
}

export function sandboxFor(suite: string): Sandbox {
  const id = `${suite}-${process.pid.toString(36)}`;
  return { project: `pikaci-e2e-${id}`, remoteWorkDir: `/var/tmp/pikaci-e2e-${id}` };
}

/** `--host … --ssh-key … --known-hosts …` plus the sandbox's project and work dir. */
export function hostFlags(host: TestHost, sandbox: Sandbox): string[] {
  return [
    "--host",
    `ssh://${host.sshUser}@${host.sshHost}:${host.sshPort}`,
    "--ssh-key",
    host.sshKey,
    "--known-hosts",
    host.knownHostsFile,
    "--incus-project",
    sandbox.project,
    "--remote-work-dir",
    sandbox.remoteWorkDir,
  ];
}

/** Runs a sh script on the host with OpenSSH (pinned host key, batch mode); stdout as bytes. */
export function sshHost(
  host: TestHost,
  script: string,
  args: string[] = [],
): Promise<{ code: number | null; stdout: Buffer; stderr: string }> {
  const quoted = [script, "pikaci-e2e", ...args].map((a) => `'${a.replaceAll("'", `'\\''`)}'`).join(" ");
  return new Promise((done, fail) => {
    const child = spawn(
      "ssh",
      [
        "-i",
        host.sshKey,
        "-p",
        String(host.sshPort),
        "-o",
        "BatchMode=yes",
        "-o",
        "IdentitiesOnly=yes",
        "-o",
        "StrictHostKeyChecking=yes",
        "-o",
        `UserKnownHostsFile=${host.knownHostsFile}`,
        "-o",
        "LogLevel=ERROR",
        `${host.sshUser}@${host.sshHost}`,
        `sh -c ${quoted}`,
      ],
      { stdio: ["ignore", "pipe", "pipe"] },
    );
    const out: Buffer[] = [];
    let stderr = "";
    child.stdout.on("data", (chunk: Buffer) => out.push(chunk));
    child.stderr.on("data", (chunk) => {
      stderr += chunk;
    });
    child.on("error", fail);
    child.on("close", (code) => done({ code, stdout: Buffer.concat(out), stderr }));
  });
}

async function sshOk(host: TestHost, script: string, args: string[] = []): Promise<string> {
  const result = await sshHost(host, script, args);
  if (result.code !== 0) throw new Error(`on the test host: ${script} ${args.join(" ")}: ${result.stderr}`);
  return result.stdout.toString();
}

/** Creates the sandbox's project, sharing the default project's images and profiles. */
export async function createSandbox(host: TestHost, sandbox: Sandbox): Promise<void> {
  await sshOk(
    host,
    'incus project show "$1" >/dev/null 2>&1 || incus project create "$1" -c features.images=false -c features.profiles=false -c features.storage.volumes=false >/dev/null',
    [sandbox.project],
  );
}

/** Removes whatever the suite left (its instances, project and remote work dir). */
export async function destroySandbox(host: TestHost, sandbox: Sandbox): Promise<void> {
  await sshOk(
    host,
    [
      'p=$1; d=$2; case "$d" in /var/tmp/pikaci-e2e-*) rm -rf -- "$d" ;; esac',
      'incus project show "$p" >/dev/null 2>&1 || exit 0',
      'for n in $(incus list --project "$p" -f csv -c n); do incus delete --project "$p" --force "$n"; done',
      'incus project delete "$p" >/dev/null',
    ].join("\n"),
    [sandbox.project, sandbox.remoteWorkDir],
  );
}

/** Names of the pikaci instances in the sandbox's project (`incus list -f csv`, filtered). */
export async function pikaciInstances(host: TestHost, sandbox: Sandbox): Promise<string[]> {
  const out = await sshOk(host, 'incus list --project "$1" -f csv -c n', [sandbox.project]);
  return out.split("\n").filter((name) => name.startsWith("pikaci-"));
}

export async function runIds(stateRoot: string): Promise<string[]> {
  return (await readdir(join(stateRoot, "runs")).catch(() => [])).sort();
}

export async function loadRun(stateRoot: string, runId: string): Promise<RunRecord> {
  return RunRecord.parse(JSON.parse(await readFile(join(stateRoot, "runs", runId, "run.json"), "utf8")));
}

/** The newest run.json that parses, or null (it is written atomically, but may not exist yet). */
export async function latestRun(stateRoot: string): Promise<RunRecord | null> {
  const id = (await runIds(stateRoot)).at(-1);
  return id ? loadRun(stateRoot, id).catch(() => null) : null;
}

/** Polls `probe` every 200 ms until it returns a value other than null/false, or fails after `ms`. */
export async function waitFor<T>(
  what: string,
  ms: number,
  probe: () => Promise<T | null | false>,
): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await probe();
    if (value !== null && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

/**
 * An Incus job's recorded phases. The instance's delete is not one of them: the verdict comes
 * first and the delete runs afterwards (the CLI waits for it before it exits).
 */
export const INCUS_PHASES = [
  "prepare_directories",
  "sync_snapshot",
  "prepare_runtime",
  "launch_guest",
  "wait_for_completion",
  "collect_artifacts",
];
