// A real third-party test suite run two ways in the Debian image: as a pikaci lane, and as the same
// command under a plain `incus exec`. Shared by the e2e test and bench/third-party-suite.bench.ts.
// The suite is urchin's own (npm `urchin`, a shell test framework whose package ships its POSIX sh
// tests), fetched by scripts/third-party-suite.sh at run time and cached under .tmp/.
import { execFile } from "node:child_process";
import { cp, mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { promisify } from "node:util";
import { stripAnsi } from "../../../src/report/ansi.js";

const run = promisify(execFile);

export const SUITE_PACKAGE = "urchin@0.0.5";
/** The command both ways run, verbatim, from the workspace root. */
export const SUITE_COMMAND = 'cd urchin && PATH="$PWD:$PATH" ./urchin tests';

export interface SuiteCounts {
  passed: number;
  failed: number;
}

/**
 * urchin ends with "N tests passed." and "M tests failed." (colour codes around them). Its own tests
 * run urchin too and print such lines earlier: the suite's verdict is the last of each.
 */
export function parseCounts(output: string): SuiteCounts | null {
  const text = stripAnsi(output);
  const last = (re: RegExp) => [...text.matchAll(re)].at(-1)?.[1];
  const passed = last(/^(\d+) tests? passed\.$/gm);
  const failed = last(/^(\d+) tests? failed\.$/gm);
  if (passed === undefined || failed === undefined) return null;
  return { passed: Number(passed), failed: Number(failed) };
}

/** Fetch (or reuse) the package with the project's script; returns its unpacked directory. */
export async function fetchSuite(repoRoot: string): Promise<string> {
  const { stdout } = await run("bash", [join(repoRoot, "scripts/third-party-suite.sh"), SUITE_PACKAGE], {
    timeout: 120_000,
  });
  return stdout.trim().split("\n").at(-1)!;
}

/** A workspace holding the suite, and a config whose one lane runs it on `image`. */
export async function prepareWorkspace(params: {
  dir: string;
  suiteDir: string;
  image: string;
}): Promise<void> {
  await mkdir(join(params.dir, ".github"), { recursive: true });
  await cp(params.suiteDir, join(params.dir, "urchin"), { recursive: true });
  await writeFile(
    join(params.dir, ".github/pikaci.yml"),
    [
      "version: 1",
      "lanes:",
      "  - id: urchin-suite",
      `    image: ${params.image}`,
      "    writable_workspace: true # urchin writes .urchin_stdout into its test tree",
      "    infra_retries: 0",
      "    timeout: 300",
      `    command: ${JSON.stringify(SUITE_COMMAND)}`,
      "",
    ].join("\n"),
  );
}

/** `incus ARGS`; stdin closed, since `incus launch` reads instance YAML from a non-TTY stdin. */
function incus(
  args: string[],
  timeoutMs = 300_000,
): Promise<{ stdout: string; stderr: string; code: number }> {
  return new Promise((done, fail) => {
    const child = execFile(
      "incus",
      args,
      { timeout: timeoutMs, maxBuffer: 64 * 1024 * 1024 },
      (error, stdout, stderr) => {
        const code = error ? (error as { code?: unknown }).code : 0;
        if (error && typeof code !== "number") fail(new Error(`incus ${args.join(" ")}: ${error.message}`));
        else done({ stdout, stderr, code: code as number });
      },
    );
    child.stdin?.end();
  });
}

async function incusOk(args: string[]): Promise<void> {
  const result = await incus(args);
  if (result.code !== 0) throw new Error(`incus ${args.join(" ")} exited ${result.code}: ${result.stderr}`);
}

/**
 * The same command under a plain `incus exec` in a fresh instance of the same image, as the same
 * unprivileged user (uid 1000) in a writable copy of the workspace. Returns its output and how
 * long the exec took.
 */
export async function runPlain(params: {
  name: string;
  image: string;
  workspace: string;
  project?: string;
}): Promise<{ output: string; ms: number; code: number }> {
  const project = params.project ? ["--project", params.project] : [];
  await incus(["delete", ...project, "--force", params.name]);
  await incusOk(["launch", ...project, params.image, params.name]);
  try {
    await incusOk([
      "file",
      "push",
      ...project,
      "-r",
      "-p",
      join(params.workspace, "urchin"),
      `${params.name}/tmp/suite/`,
    ]);
    // The lane's user owns its writable workspace; give the plain run's user the same.
    await incusOk(["exec", ...project, params.name, "--", "chown", "-R", "1000:1000", "/tmp/suite"]);
    const t0 = performance.now();
    const result = await incus([
      "exec",
      ...project,
      params.name,
      "--user",
      "1000",
      "--group",
      "1000",
      "--cwd",
      "/tmp/suite",
      "--env",
      "HOME=/home/pikaci",
      "--",
      "bash",
      "-c",
      SUITE_COMMAND,
    ]);
    // stdout last: the suite's summary is printed there, after anything its tests wrote to stderr.
    return { output: result.stderr + result.stdout, ms: performance.now() - t0, code: result.code };
  } finally {
    await incus(["delete", ...project, "--force", params.name]);
  }
}
