import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { cp, mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { RunEvent, RunRecord } from "../../src/schema/index.js";

const ROOT = resolve(import.meta.dirname, "../..");
const BIN = join(ROOT, "bin/pikaci.js");

interface Result {
  code: number | null;
  stdout: string;
  stderr: string;
}

function pikaci(
  args: string[],
  options: { cwd: string; env?: NodeJS.ProcessEnv; onSpawn?: (child: ChildProcess) => void },
) {
  return new Promise<Result>((done) => {
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
    options.onSpawn?.(child);
    child.on("close", (code) => done({ code, stdout, stderr }));
  });
}

let base: string;
let repo: string;
let tmpRoot: string;
const state = () => join(base, "state");
const runIds = async () => (await readdir(join(state(), "runs")).catch(() => [])).sort();
/** The local executor's temp copies (tsx keeps its own cache in TMPDIR too). */
const leftovers = async () =>
  (await readdir(tmpRoot).catch(() => [])).filter((name) => name.startsWith("pikaci-local-"));
const loadRun = async (id: string) =>
  RunRecord.parse(JSON.parse(await readFile(join(state(), "runs", id, "run.json"), "utf8")));

beforeAll(async () => {
  base = await mkdtemp(join(tmpdir(), "pikaci-e2e-local-"));
  repo = join(base, "demo");
  tmpRoot = join(base, "tmp");
  await cp(join(ROOT, "examples/demo"), repo, { recursive: true });
  await rm(join(repo, ".pikaci"), { recursive: true, force: true });
});
afterAll(async () => {
  await rm(base, { recursive: true, force: true });
});

// TMPDIR points the local executor's temp copies at a directory this test can inspect.
const env = () => ({ PIKACI_STATE_ROOT: state(), TMPDIR: tmpRoot, SECRET_TOKEN: "ghp_never_in_a_lane" });

describe("pikaci run on the demo with the local executor", () => {
  it("runs every lane, fails on flaky-math, and records statuses, failure kinds, phases and logs", async () => {
    const result = await pikaci(["run"], { cwd: repo, env: env() });
    expect(result.stderr).toBe("");
    expect(result.code).toBe(1);
    const [id] = await runIds();
    const run = await loadRun(id!);
    expect(run.status).toBe("failed");
    expect(run.host).toBe("local");
    expect(run.snapshot_hash).toMatch(/^[0-9a-f]{64}$/);
    const byId = Object.fromEntries(run.jobs.map((job) => [job.lane_id, job]));
    expect(byId.lint).toMatchObject({ status: "passed", exit_code: 0, failure_kind: null });
    expect(byId.unit).toMatchObject({ status: "passed", exit_code: 0 });
    expect(byId.docs).toMatchObject({ status: "passed" });
    expect(byId["flaky-math"]).toMatchObject({
      status: "failed",
      failure_kind: "test_failure",
      exit_code: 1,
    });
    expect(byId.slow).toMatchObject({ status: "failed", failure_kind: "timeout" });
    expect(await readFile(byId.slow!.guest_log_path!, "utf8")).toContain("slow: sleeping 30s");
    expect(byId.lint!.phases.map((p) => p.phase)).toEqual([
      "prepare_directories",
      "sync_snapshot",
      "launch_guest",
      "wait_for_completion",
      "collect_artifacts",
      "cleanup",
    ]);
    const guest = await readFile(byId["flaky-math"]!.guest_log_path!, "utf8");
    expect(guest).toContain("FAIL: add(2, 2) returned 4, expected 5");
    expect(await readFile(byId.unit!.guest_log_path!, "utf8")).toContain("math: 2 assertions passed");
    expect(await readFile(byId.lint!.host_log_path!, "utf8")).toContain("copied snapshot");
    expect(result.stdout).toMatch(/flaky-math: failed \(test_failure\) in \S+: exited with code 1/);
    expect(result.stdout).toContain(`pikaci logs ${id} --lane flaky-math`);
    expect(await leftovers()).toEqual([]);

    const logs = await pikaci(["logs", id!, "--lane", "flaky-math", "--kind", "guest"], {
      cwd: repo,
      env: env(),
    });
    expect(logs.code).toBe(0);
    expect(logs.stdout).toContain("FAIL: add(2, 2)");
    const status = await pikaci(["status"], { cwd: repo, env: env() });
    expect(status.stdout).toContain(`run ${id}: failed`);
    expect(status.stdout).toMatch(/flaky-math\s+failed/);
  });

  it("prints only well-formed, ordered lifecycle events with --json, and skips lanes by --changed", async () => {
    const result = await pikaci(["run", "--json", "--changed", "src/math.sh"], { cwd: repo, env: env() });
    expect(result.code).toBe(1);
    const events = result.stdout
      .trimEnd()
      .split("\n")
      .map((line) => RunEvent.parse(JSON.parse(line)));
    expect(events[0]).toMatchObject({ type: "run_started", lanes: ["lint", "unit", "flaky-math", "slow"] });
    expect(events.at(-1)).toMatchObject({ type: "run_finished", status: "failed" });
    const times = events.map((e) => Date.parse(e.at));
    expect(times).toEqual([...times].sort((a, b) => a - b));
    for (const lane of ["lint", "unit", "flaky-math", "slow"]) {
      const types = events.filter((e) => "lane_id" in e && e.lane_id === lane).map((e) => e.type);
      expect(types[0]).toBe("job_started");
      expect(types.at(-1)).toBe("job_finished");
    }
    expect(events.find((e) => e.type === "job_finished" && e.lane_id === "flaky-math")).toMatchObject({
      status: "failed",
      failure_kind: "test_failure",
      exit_code: 1,
    });
    const run = await loadRun(events[0]!.run_id);
    expect(run.jobs.find((job) => job.lane_id === "docs")).toMatchObject({ status: "skipped" });
  });

  it("exits 0 when the chosen lanes pass, and 2 on an unknown lane", async () => {
    expect((await pikaci(["run", "--lane", "lint", "--lane", "unit"], { cwd: repo, env: env() })).code).toBe(
      0,
    );
    const bad = await pikaci(["run", "--lane", "nope"], { cwd: repo, env: env() });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain("unknown lane");
  });

  it("never lets the caller's environment into a lane", async () => {
    const config = join(base, "env.yml");
    await writeFile(config, "version: 1\nlanes:\n  - id: env\n    command: env\n");
    const before = await runIds();
    const result = await pikaci(["run", "--config", config, "--workspace", repo], { cwd: repo, env: env() });
    expect(result.code).toBe(0);
    // Not `.at(-1)`: run ids of the same second sort by their random suffix.
    const run = await loadRun((await runIds()).find((id) => !before.includes(id))!);
    const guest = await readFile(run.jobs[0]!.guest_log_path!, "utf8");
    expect(guest).toMatch(/^CI=true$/m);
    expect(guest).not.toContain("ghp_never_in_a_lane");
  });

  it("keeps a state root inside the workspace out of the snapshot, and its digest cache with it", async () => {
    // The state root here is not `.pikaci` (excluded by name): a run writes its records there while
    // its lanes start, so if it were part of the snapshot every run would fail as "workspace changed".
    const ws = join(base, "ws-with-state");
    await cp(repo, ws, { recursive: true });
    await writeFile(
      join(ws, "pikaci.yml"),
      "version: 1\nlanes:\n  - id: a\n    command: test ! -e ci-state && test -f README.md\n  - id: b\n    command: test ! -e ci-state\n",
    );
    const git = (...args: string[]) =>
      execFileSync("git", ["-c", "user.name=t", "-c", "user.email=t@example.invalid", ...args], { cwd: ws });
    git("init", "-q");
    git("add", "-A");
    git("commit", "-q", "-m", "demo");
    const args = ["run", "--config", "pikaci.yml", "--workspace", ws, "--state-root", join(ws, "ci-state")];
    for (const attempt of [1, 2]) {
      const result = await pikaci(args, { cwd: ws, env: env() });
      expect(result.code, `run ${attempt}: ${result.stdout}${result.stderr}`).toBe(0);
      // Digests of files younger than 2 s are not cached (racy-clean guard): let them age once.
      if (attempt === 1) await new Promise((done) => setTimeout(done, 2100));
    }
    expect(
      (await readdir(join(ws, "ci-state", "cache"))).some((name) => /^digests-[0-9a-f]{16}\.bin$/.test(name)),
    ).toBe(true);
    await expect(readdir(join(ws, ".pikaci"))).rejects.toThrow();
    const inside = await pikaci(["run", "--config", "pikaci.yml", "--workspace", ws, "--state-root", ws], {
      cwd: ws,
      env: env(),
    });
    expect(inside.code).toBe(2);
    expect(inside.stderr).toContain("outside the workspace");
  });

  it("cancels on SIGTERM: run.json `cancelled`, exit 143, no temp dirs left", async () => {
    const config = join(base, "slow.yml");
    await writeFile(
      config,
      "version: 1\nlanes:\n  - id: slow\n    command: sleep 60\n  - id: slower\n    command: sleep 90\n",
    );
    const before = await runIds();
    const result = await pikaci(["run", "--config", config, "--workspace", repo], {
      cwd: repo,
      env: env(),
      onSpawn: (child) => {
        const timer = setInterval(async () => {
          const ids = await runIds();
          const fresh = ids.find((id) => !before.includes(id));
          if (!fresh) return;
          const run = await loadRun(fresh).catch(() => null);
          if (
            run?.jobs.every(
              (job) => job.status === "running" && job.phases.some((p) => p.phase === "wait_for_completion"),
            )
          ) {
            clearInterval(timer);
            child.kill("SIGTERM");
          }
        }, 100);
      },
    });
    expect(result.code).toBe(143);
    const run = await loadRun((await runIds()).find((id) => !before.includes(id))!);
    expect(run.status).toBe("cancelled");
    expect(run.jobs.map((job) => job.status)).toEqual(["cancelled", "cancelled"]);
    expect(run.finished_at).not.toBeNull();
    expect(await leftovers()).toEqual([]);
  }, 30_000);
});
