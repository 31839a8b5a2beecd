import { type ChildProcess, execFile } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, expect, it } from "vitest";
import { instanceName } from "../../src/executor/incus/names.js";
import type { RunRecord } from "../../src/schema/index.js";
import {
  createSandbox,
  destroySandbox,
  hostFlags,
  latestRun,
  loadRun,
  pikaci,
  pikaciInstances,
  runIds,
  type Sandbox,
  sandboxFor,
  waitFor,
} from "./helpers/cli-incus.js";
import { describeE2E, loadTestHost, REPO_ROOT, type TestHost } from "./helpers/test-host.js";

/**
 * The "Faults" acceptance, through the CLI against the real host: `kill -9` then `pikaci gc`
 * leaves no instance; SIGTERM cancels and removes the instance; losing sshd mid-job is an
 * infrastructure failure with a clear message and a terminal run.json. The sshd test runs last and
 * restarts sshd with test/host/setup.sh in `finally`, because it takes the host down for everyone.
 */
describeE2E("pikaci run --host under faults (real sshd + Incus)", (initialHost) => {
  const sandbox = sandboxFor("faults");
  let host: TestHost = initialHost;
  let base: string;
  let repo: string;
  let config: string;
  // A failed assertion must not leave a `pikaci run` of ours behind.
  const spawnedRuns = new Set<ChildProcess>();

  beforeAll(async () => {
    base = await mkdtemp(join(tmpdir(), "pikaci-e2e-cli-faults-"));
    repo = join(base, "ws");
    await mkdir(repo);
    await writeFile(join(repo, "README.md"), "faults fixture\n");
    config = join(base, "faults.yml");
    // run_as_root keeps this suite on the root path; the default unprivileged path is covered
    // on both images by cli-incus-unprivileged.test.ts.
    await writeFile(
      config,
      "version: 1\nlanes:\n  - id: sleepy\n    run_as_root: true\n    timeout: 120s\n    command: echo sleeping; sleep 100\n",
    );
    await createSandbox(host, sandbox);
  });
  afterAll(async () => {
    for (const child of spawnedRuns)
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
    await destroySandbox(host, sandbox);
    await rm(base, { recursive: true, force: true });
  });

  /** Starts `pikaci run`; resolves once the guest command runs in a live instance. */
  function startRun(state: string) {
    let child: ChildProcess | undefined;
    const done = pikaci(
      [
        "run",
        "--config",
        config,
        "--workspace",
        repo,
        ...hostFlags(host, sandbox),
        "--image",
        host.image,
        "--state-root",
        state,
      ],
      {
        cwd: repo,
        onSpawn: (spawned) => {
          child = spawned;
          spawnedRuns.add(spawned);
        },
      },
    );
    const running = waitFor("the lane's guest command to run", 120_000, async () => {
      const run = await latestRun(state);
      const job = run?.jobs[0];
      if (!run || !job?.phases.some((p) => p.phase === "wait_for_completion")) return null;
      const guestLog = join(state, "runs", run.run_id, "jobs", "sleepy", "guest.log");
      if (!(await readFile(guestLog, "utf8").catch(() => "")).includes("sleeping")) return null;
      const name = instanceName(run.run_id, "sleepy");
      return (await pikaciInstances(host, sandbox)).includes(name) ? { run, name } : null;
    });
    return { done, running, kill: (signal: NodeJS.Signals) => child!.kill(signal) };
  }

  const gc = (...extra: string[]) =>
    pikaci(["gc", ...gcFlags(host, sandbox), ...extra], { cwd: base }).then((result) => {
      expect(result.code, result.stdout + result.stderr).toBe(0);
      return result.stdout;
    });

  it("kill -9 of the CLI mid-job, then pikaci gc, leaves no pikaci instance", async () => {
    const state = join(base, "state-kill9");
    const started = startRun(state);
    const { name, run } = await started.running;
    started.kill("SIGKILL");
    expect((await started.done).signal).toBe("SIGKILL");
    expect(await pikaciInstances(host, sandbox)).toEqual([name]);

    // Right after the kill the run's heartbeat is fresh, so gc must not take it for dead yet.
    expect(await gc()).toContain(`kept ${name}: run ${run.run_id} is alive`);
    expect(await pikaciInstances(host, sandbox)).toEqual([name]);
    // Once the heartbeat is older than --stale-after the run counts as dead.
    await new Promise((resolve) => setTimeout(resolve, 3_000));
    const out = await gc("--stale-after", "2s");
    expect(out).toContain(`removed ${name}: run ${run.run_id} is no longer alive`);
    expect(await pikaciInstances(host, sandbox)).toEqual([]);
  }, 300_000);

  it("SIGTERM mid-job: run.json `cancelled`, exit 143, the instance removed", async () => {
    const state = join(base, "state-sigterm");
    const started = startRun(state);
    const { run } = await started.running;
    started.kill("SIGTERM");
    const result = await started.done;
    expect(result.code, result.stdout + result.stderr).toBe(143);
    const final = await loadRun(state, run.run_id);
    expect(final.status).toBe("cancelled");
    expect(final.finished_at).not.toBeNull();
    expect(final.jobs[0]).toMatchObject({ status: "cancelled" });
    // The verdict did not wait for the delete; the process did, before it exited.
    expect(final.jobs[0]!.phases.map((p) => p.phase)).not.toContain("cleanup");
    expect(await pikaciInstances(host, sandbox)).toEqual([]);
  }, 300_000);

  // Last: this takes the shared test host's sshd down, and restores it in `finally`.
  it("stopping sshd mid-job: `infrastructure`, a clear message, a terminal run.json", async () => {
    const state = join(base, "state-sshd");
    const started = startRun(state);
    const { name, run } = await started.running;
    const port = host.sshPort;
    let final: RunRecord;
    let code: number | null;
    try {
      stopSshd(host.sshdPid);
      code = (await started.done).code;
      final = await loadRun(state, run.run_id);
    } finally {
      await restartSshd();
      host = loadTestHost()!;
    }
    expect(host.sshPort, "setup.sh should bring sshd back on the same port").toBe(port);
    expect(code).toBe(1);
    expect(final.status).toBe("failed");
    expect(final.finished_at).not.toBeNull();
    const job = final.jobs[0]!;
    expect(job).toMatchObject({ status: "failed", failure_kind: "infrastructure", exit_code: null });
    // The message names the host and that the connection is the problem.
    expect(job.message).toContain(`127.0.0.1:${port}`);
    expect(job.message).toMatch(/connect|connection|ssh/i);
    // Infrastructure failures are retried once by default; the retry shows, and also failed.
    expect(job.attempts?.map((a) => a.failure_kind)).toEqual(["infrastructure", "infrastructure"]);
    for (const attempt of job.attempts ?? [])
      console.log(`sshd stopped, attempt ${attempt.attempt}: ${attempt.message}`);
    // Its cleanup could not reach the host; gc reaps the leftover once sshd is back.
    await gc("--stale-after", "1s");
    expect(await pikaciInstances(host, sandbox)).not.toContain(name);
    expect(await runIds(state)).toEqual([run.run_id]);
  }, 300_000);
});

function gcFlags(host: TestHost, sandbox: Sandbox): string[] {
  // gc takes the same connection flags as run; --image does not apply.
  return hostFlags(host, sandbox);
}

/**
 * Kills the sshd listener and every session process under it by pid, as a crash or a reboot of the
 * host would. (Killing only the listener would keep established connections alive, so the job
 * would not notice.)
 */
function stopSshd(listenerPid: number): void {
  const comm = readFileSync(`/proc/${listenerPid}/comm`, "utf8").trim();
  if (comm !== "sshd") throw new Error(`pid ${listenerPid} is ${comm}, not the test host's sshd`);
  const children = new Map<number, number[]>();
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, "utf8");
      const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
      children.set(ppid, [...(children.get(ppid) ?? []), Number(entry)]);
    } catch {
      // The process exited while we looked.
    }
  }
  const tree: number[] = [];
  const visit = (pid: number) => {
    tree.push(pid);
    for (const child of children.get(pid) ?? []) visit(child);
  };
  visit(listenerPid);
  // The listener first, so it cannot accept a new session while its children go.
  for (const pid of tree) {
    try {
      process.kill(pid, "SIGKILL");
    } catch {
      // Already gone.
    }
  }
}

/** test/host/setup.sh repairs a dead sshd on the same port (it is idempotent for everything else). */
async function restartSshd(): Promise<void> {
  await promisify(execFile)("bash", [join(REPO_ROOT, "test/host/setup.sh")], { timeout: 600_000 });
}
