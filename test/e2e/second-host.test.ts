import { existsSync } from "node:fs";
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
  sshHost,
} from "./helpers/cli-incus.js";
import { describeE2E, type TestHost } from "./helpers/test-host.js";
import { testHost2 } from "./helpers/test-host2.js";

async function serverPid(host: TestHost): Promise<number> {
  const out = await sshHost(host, "incus query /1.0");
  expect(out.code, out.stderr).toBe(0);
  return JSON.parse(out.stdout.toString()).environment.server_pid;
}

async function listedAnywhere(host: TestHost, name: string): Promise<boolean> {
  const out = await sshHost(host, "incus list --all-projects -f csv -c n");
  expect(out.code, out.stderr).toBe(0);
  return out.stdout.toString().split("\n").includes(name);
}

/**
 * Test host 2 (test/host/host2.sh) is a distinct build host, not an alias of host 1: its sshd's
 * sessions reach the second incusd, what is created there is invisible through host 1, and its
 * /var/tmp (where remote work dirs live) is its own.
 */
describeE2E("test host 2 is a second, distinct build host", (host) => {
  const host2 = testHost2(host);
  const sandbox = sandboxFor("host2");
  let base: string;
  beforeAll(async () => {
    base = await mkdtemp(join(tmpdir(), "pikaci-e2e-host2-"));
    // The sandbox project exists on daemon 2 only: a run that needs it can only have run there.
    await createSandbox(host2, sandbox);
  });
  afterAll(async () => {
    await destroySandbox(host2, sandbox);
    await rm(base, { recursive: true, force: true });
  });

  it("answers from the second incusd, not the first", async () => {
    expect(host2.project).toBe("");
    expect(host2.url).toBe(`ssh://root@127.0.0.1:${host2.sshPort}`);
    expect(host2.sshPort).not.toBe(host.sshPort);
    expect(await serverPid(host2)).toBe(host2.incusdPid);
    expect(await serverPid(host)).toBe(host.incusdPid);
    expect(host2.incusdPid).not.toBe(host.incusdPid);
  });

  it("keeps an instance created through host 2 invisible through host 1", async () => {
    const name = `pikaci-h2-${process.pid.toString(36)}`;
    const launch = await sshHost(
      host2,
      'incus launch "$1" "$2" --project "$3" --ephemeral >/dev/null && incus exec "$2" --project "$3" -- hostname',
      [host.image, name, sandbox.project],
    );
    expect(launch.code, launch.stderr).toBe(0);
    expect(launch.stdout.toString().trim()).toBe(name);
    expect(await listedAnywhere(host2, name)).toBe(true);
    expect(await listedAnywhere(host, name)).toBe(false);
    const project = await sshHost(host, 'incus project show "$1"', [sandbox.project]);
    expect(project.code, "the sandbox project must not exist on daemon 1").not.toBe(0);
  });

  it("runs a pikaci lane on daemon 2 with its work dir on host 2's own /var/tmp", async () => {
    const repo = join(base, "repo");
    await mkdir(join(repo, ".github"), { recursive: true });
    const config = ["version: 1", "defaults:", `  image: ${host.image}`, "  infra_retries: 0", "lanes:"];
    config.push("  - id: where", "    command: hostname", "");
    await writeFile(join(repo, ".github/pikaci.yml"), config.join("\n"));
    const state = join(base, "state");
    const result = await pikaci(["run", ...hostFlags(host2, sandbox), "--state-root", state], { cwd: repo });
    expect(result.code, result.stdout + result.stderr).toBe(0);
    const [id] = await runIds(state);
    const run = await loadRun(state, id!);
    expect(run.host).toBe(host2.url);
    expect(run.jobs.map((job) => [job.lane_id, job.status])).toEqual([["where", "passed"]]);
    const runDir = `${sandbox.remoteWorkDir}/runs/${run.run_id}`;
    const onHost2 = await sshHost(host2, 'test -d "$1"', [runDir]);
    expect(onHost2.code, `${runDir} on host 2`).toBe(0);
    const onHost1 = await sshHost(host, 'test -d "$1"', [runDir]);
    expect(onHost1.code, `${runDir} must not be on host 1`).not.toBe(0);
    expect(existsSync(runDir)).toBe(false);
  });
});
