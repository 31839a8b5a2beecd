import { cp, mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import {
  createSandbox,
  destroySandbox,
  hostFlags,
  INCUS_PHASES,
  loadRun,
  pikaci,
  pikaciInstances,
  runIds,
  sandboxFor,
} from "./helpers/cli-incus.js";
import { describeE2E, REPO_ROOT } from "./helpers/test-host.js";

/**
 * The "End to end" acceptance: `pikaci run --host ssh://root@127.0.0.1:PORT` on the demo
 * repository (examples/demo, unchanged) against the real sshd + Incus of test/host/setup.sh, on the
 * Debian image. The demo's lanes do not run as root; cli-incus-unprivileged.test.ts checks the uid on
 * both images.
 */
describeE2E("pikaci run --host on the demo (real sshd + Incus)", (host) => {
  const sandbox = sandboxFor("run");
  let base: string;
  let repo: string;
  beforeAll(async () => {
    base = await mkdtemp(join(tmpdir(), "pikaci-e2e-cli-run-"));
    repo = join(base, "demo");
    await cp(join(REPO_ROOT, "examples/demo"), repo, { recursive: true });
    await rm(join(repo, ".pikaci"), { recursive: true, force: true });
    await createSandbox(host, sandbox);
  });
  afterAll(async () => {
    await destroySandbox(host, sandbox);
    await rm(base, { recursive: true, force: true });
  });

  it("runs passing, failing and timing-out lanes with the right records, and exits 1", async () => {
    const state = join(base, "state");
    const result = await pikaci(
      [
        "run",
        ...hostFlags(host, sandbox),
        "--image",
        host.imageDebian,
        "--state-root",
        state,
        "--concurrency",
        "5",
      ],
      { cwd: repo },
    );
    expect(result.code, result.stdout + result.stderr).toBe(1);
    const [id] = await runIds(state);
    const run = await loadRun(state, id!);
    expect(run.status).toBe("failed");
    expect(run.host).toBe(`ssh://root@127.0.0.1:${host.sshPort}`);
    expect(run.finished_at).not.toBeNull();
    const byId = Object.fromEntries(run.jobs.map((job) => [job.lane_id, job]));
    expect(Object.keys(byId).sort()).toEqual(["docs", "flaky-math", "lint", "slow", "unit"]);
    for (const lane of ["lint", "unit", "docs"]) {
      expect(byId[lane], lane).toMatchObject({ status: "passed", exit_code: 0, failure_kind: null });
    }
    expect(byId["flaky-math"]).toMatchObject({
      status: "failed",
      failure_kind: "test_failure",
      exit_code: 1,
    });
    expect(byId.slow).toMatchObject({ status: "failed", failure_kind: "timeout", exit_code: null });
    expect(byId.slow!.message).toContain("timed out after 3s");

    for (const job of run.jobs) {
      expect(job.executor, job.lane_id).toBe("incus");
      expect(job.image, job.lane_id).toBe(host.imageDebian);
      // One attempt each: none of these outcomes is an infrastructure failure to retry.
      expect(job.attempts?.length ?? 1, job.lane_id).toBe(1);
      expect(
        job.phases.map((p) => p.phase),
        job.lane_id,
      ).toEqual(INCUS_PHASES);
      for (const phase of job.phases)
        expect(phase.duration_ms, `${job.lane_id} ${phase.phase}`).not.toBeNull();
      const hostLog = await readFile(job.host_log_path!, "utf8");
      expect(hostLog, job.lane_id).toContain(`as instance ${job.instance_name}`);
      // The delete comes after the verdict, so the job's log has closed; the empty instance list
      // below shows every instance was deleted before the CLI exited.
      expect((await readFile(job.guest_log_path!, "utf8")).length, job.lane_id).toBeGreaterThan(0);
    }
    const guest = async (lane: string) => readFile(byId[lane]!.guest_log_path!, "utf8");
    expect(await guest("lint")).toMatch(/^lint: ok \(\d+ files\)$/m);
    expect(await guest("unit")).toContain("math: 2 assertions passed");
    expect(await guest("docs")).toContain("docs: # Demo guide");
    expect(await guest("flaky-math")).toContain("FAIL: add(2, 2) returned 4, expected 5");
    expect(await guest("slow")).toContain("slow: sleeping 30s");
    expect(await guest("slow")).not.toContain("slow: never printed");
    expect(await readFile(byId.slow!.host_log_path!, "utf8")).toContain("timeout:");

    expect(result.stdout).toMatch(/flaky-math: failed \(test_failure\)/);
    expect(result.stdout).toMatch(/slow: failed \(timeout\)/);
    expect(await pikaciInstances(host, sandbox)).toEqual([]);
  }, 300_000);
});
