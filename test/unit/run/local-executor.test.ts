import { chmod, mkdir, mkdtemp, readdir, readFile, rm, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { resolveLane } from "../../../src/config/index.js";
import { describeError, SnapshotChangedError } from "../../../src/errors/index.js";
import type { JobEvents, JobSpec } from "../../../src/executor/executor.js";
import { createLocalExecutor } from "../../../src/executor/local-executor.js";
import { buildSnapshot } from "../../../src/snapshot/build.js";

let base: string;
let workspace: string;
let tmpRoot: string;
beforeEach(async () => {
  base = await mkdtemp(join(tmpdir(), "pikaci-local-exec-"));
  workspace = join(base, "ws");
  tmpRoot = join(base, "tmp");
  await mkdir(join(workspace, "scripts"), { recursive: true });
  await writeFile(join(workspace, "README.md"), "hello snapshot\n");
  await writeFile(join(workspace, "scripts", "check.sh"), '#!/bin/sh\necho checked "$1"\n');
  await chmod(join(workspace, "scripts", "check.sh"), 0o755);
  await symlink("README.md", join(workspace, "LINK.md"));
});
afterEach(async () => {
  await rm(base, { recursive: true, force: true });
});

function recorder(): JobEvents & { host: string; guest: string; phases: string[] } {
  const rec = {
    host: "",
    guest: "",
    phases: [] as string[],
    phase(phase: string, state: string) {
      rec.phases.push(`${phase}:${state}`);
    },
    log(stream: "host" | "guest", text: string) {
      rec[stream] += text;
    },
  };
  return rec as never;
}

async function job(
  command: string,
  extra: { timeout?: number; env?: Record<string, string> } = {},
): Promise<JobSpec> {
  const snapshot = await buildSnapshot({ root: workspace, cacheFile: null });
  const lane = resolveLane(
    { lanes: [{ id: "lane", command, timeout: extra.timeout ?? 60, env: extra.env }] },
    "lane",
  );
  return {
    run_id: "20260101T000000Z-00000000",
    lane_id: "lane",
    description: "lane",
    attempt: 1,
    execute: lane.execute,
    snapshot,
    job_dir: join(base, "job"),
  };
}

const executor = () =>
  createLocalExecutor({
    tmpRoot,
    env: { PATH: process.env.PATH, SECRET_TOKEN: "ghp_do_not_leak", HOME: "/root" },
  });

describe("local executor", () => {
  it("runs the lane in a copy of the snapshot, never in the workspace, with phases in order", async () => {
    const events = recorder();
    const outcome = await executor().runJob(
      await job("cat README.md; cat LINK.md; ./scripts/check.sh ok; echo scribble > new.txt; pwd"),
      events,
      new AbortController().signal,
    );
    expect(outcome).toMatchObject({ status: "passed", failure_kind: null, exit_code: 0 });
    expect(events.guest).toContain("hello snapshot\nhello snapshot\nchecked ok\n");
    expect(events.guest).not.toContain(workspace);
    expect((await readdir(workspace)).sort()).toEqual(["LINK.md", "README.md", "scripts"]);
    expect(outcome.phases.map((p) => p.phase)).toEqual([
      "prepare_directories",
      "sync_snapshot",
      "launch_guest",
      "wait_for_completion",
      "collect_artifacts",
      "cleanup",
    ]);
    expect(outcome.phases.every((p) => p.status === "ok")).toBe(true);
    expect(events.phases[0]).toBe("prepare_directories:started");
    expect(await readdir(tmpRoot)).toEqual([]);
  });

  it("says in the host log that a lane's limits are not enforced locally, and runs it", async () => {
    const events = recorder();
    const spec = await job("echo ran");
    const outcome = await executor().runJob(
      { ...spec, execute: { ...spec.execute, limits: { memory_bytes: 64 * 1024 ** 2, processes: 10 } } },
      events,
      new AbortController().signal,
    );
    expect(outcome.status).toBe("passed");
    expect(events.host).toContain(
      "limits (cpu, memory, processes) apply to the Incus executor only; not enforced locally",
    );
    const plain = recorder();
    await executor().runJob(await job("true"), plain, new AbortController().signal);
    expect(plain.host).not.toContain("limits");
  });

  it("gives the lane a from-scratch environment: no parent secrets, CI flags and the lane's env", async () => {
    const events = recorder();
    await executor().runJob(
      await job("env", { env: { GREETING: "hi there" } }),
      events,
      new AbortController().signal,
    );
    expect(events.guest).not.toContain("ghp_do_not_leak");
    expect(events.guest).not.toContain("SECRET_TOKEN");
    expect(events.guest).toMatch(/^CI=true$/m);
    expect(events.guest).toMatch(/^PIKACI=1$/m);
    expect(events.guest).toMatch(/^GREETING=hi there$/m);
    expect(events.guest).not.toMatch(/^HOME=\/root$/m);
  });

  it("reports a non-zero exit as a test failure with its code", async () => {
    const outcome = await executor().runJob(
      await job("echo boom >&2; exit 3"),
      recorder(),
      new AbortController().signal,
    );
    expect(outcome).toMatchObject({
      status: "failed",
      failure_kind: "test_failure",
      exit_code: 3,
      message: "exited with code 3",
    });
  });

  it("kills the whole process group at the deadline and reports a timeout", async () => {
    const marker = join(base, "survivor");
    const t0 = Date.now();
    const outcome = await executor().runJob(
      await job(`(sleep 3; touch ${marker}) & sleep 30`, { timeout: 1 }),
      recorder(),
      new AbortController().signal,
    );
    expect(outcome).toMatchObject({
      status: "failed",
      failure_kind: "timeout",
      exit_code: null,
      message: "timed out after 1s",
    });
    expect(Date.now() - t0).toBeLessThan(6000);
    await new Promise((resolve) => setTimeout(resolve, 3000));
    await expect(readFile(marker)).rejects.toThrow(/ENOENT/);
    expect(await readdir(tmpRoot)).toEqual([]);
  });

  it("stops and cleans up when the job is cancelled", async () => {
    const controller = new AbortController();
    const running = executor().runJob(await job("sleep 30"), recorder(), controller.signal);
    setTimeout(() => controller.abort(), 300);
    const outcome = await running;
    expect(outcome).toMatchObject({ status: "cancelled", failure_kind: null });
    expect(outcome.phases.at(-1)?.phase).toBe("cleanup");
    expect(await readdir(tmpRoot)).toEqual([]);
  });

  it("reports a workspace that changed after hashing as an infrastructure failure", async () => {
    const spec = await job("true");
    await writeFile(join(workspace, "README.md"), "edited\n");
    const outcome = await executor().runJob(spec, recorder(), new AbortController().signal);
    expect(outcome).toMatchObject({ status: "failed", failure_kind: "infrastructure" });
    expect(outcome.message).toContain("workspace changed");
    expect(outcome.phases.find((p) => p.phase === "sync_snapshot")?.status).toBe("failed");
  });

  it("fails a file edited or removed after hashing with the one SnapshotChangedError every executor raises", async () => {
    const edited = await job("true");
    // Same size as before: only the content tells.
    await writeFile(join(workspace, "scripts", "check.sh"), '#!/bin/sh\necho checked "$2"\n');
    const first = await executor().runJob(edited, recorder(), new AbortController().signal);
    expect(first.message).toBe(
      describeError(new SnapshotChangedError("scripts/check.sh", edited.snapshot.hash)),
    );
    expect(first.message).toContain("the workspace changed after the snapshot was hashed: scripts/check.sh");

    const removed = await job("true");
    await rm(join(workspace, "README.md"));
    const second = await executor().runJob(removed, recorder(), new AbortController().signal);
    expect(second).toMatchObject({ status: "failed", failure_kind: "infrastructure" });
    expect(second.message).toBe(describeError(new SnapshotChangedError("README.md", removed.snapshot.hash)));
    expect(await readdir(tmpRoot)).toEqual([]);
  });
});
