import { readFileSync } from "node:fs";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import {
  createSandbox,
  destroySandbox,
  hostFlags,
  loadRun,
  pikaci,
  runIds,
  sandboxFor,
} from "./helpers/cli-incus.js";
import { describeE2E } from "./helpers/test-host.js";

/**
 * `limits:` on the real test host (busybox image, the suite's own Incus project): a lane that
 * allocates past its memory cap fails saying `out of memory (limit 32MiB)`, read from the
 * container's memory cgroup, not as a bare exit 137; the cpu and process caps reach the container.
 */
describeE2E("lane limits (real sshd + Incus)", (host) => {
  const sandbox = sandboxFor("limits");
  let base: string;
  let repo: string;
  beforeAll(async () => {
    base = await mkdtemp(join(tmpdir(), "pikaci-e2e-limits-"));
    repo = join(base, "repo");
    await mkdir(join(repo, ".github"), { recursive: true });
    await writeFile(
      join(repo, ".github/pikaci.yml"),
      [
        "version: 1",
        "defaults:",
        `  image: ${host.image}`,
        "  infra_retries: 0",
        "  limits: {cpu: 1}",
        "lanes:",
        "  - id: hog",
        "    limits: {memory: 32MiB}",
        // dd's buffer is one 100 MiB allocation, touched as /dev/zero fills it.
        "    command: dd if=/dev/zero of=/dev/null bs=100M count=1",
        "  - id: within",
        "    limits: {memory: 64MiB, processes: 12}",
        // One CPU of the host's; 16 background sleeps hit the process cap, so the subshell fails;
        // then the lane waits them out, leaving the runner room to write its result.
        `    command: 'dd if=/dev/zero of=/dev/null bs=4M count=1 && test "$(nproc)" = 1 && ! (for i in $(seq 16); do sleep 1 & done) && sleep 2'`,
        "",
      ].join("\n"),
    );
    await createSandbox(host, sandbox);
  });
  afterAll(async () => {
    await destroySandbox(host, sandbox);
    await rm(base, { recursive: true, force: true });
  });

  it("fails an OOM-killed lane as out of memory and applies cpu and process caps", async () => {
    const state = join(base, "state");
    const result = await pikaci(["run", ...hostFlags(host, sandbox), "--state-root", state], { cwd: repo });
    const [id] = await runIds(state);
    expect(id, `${result.stdout}${result.stderr}`).toBeDefined();
    const run = await loadRun(state, id!);
    const log = (lane: string) => readFileSync(join(state, "runs", id!, "jobs", lane, "guest.log"), "utf8");
    const detail = `${result.stdout}${result.stderr}\n${log("hog")}\n${log("within")}`;
    expect(result.code, detail).toBe(1);
    const job = (lane: string) => run.jobs.find((j) => j.lane_id === lane)!;
    expect(job("hog"), detail).toMatchObject({
      status: "failed",
      failure_kind: "test_failure",
      message: "out of memory (limit 32MiB)",
    });
    expect(job("within").status, detail).toBe("passed");
    expect(log("within")).toMatch(/can't fork/);
  });
});
