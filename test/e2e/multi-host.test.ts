import { execFile } from "node:child_process";
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, expect, it } from "vitest";
import type { JobRecord, RunRecord } from "../../src/schema/index.js";
import {
  createSandbox,
  destroySandbox,
  latestRun,
  loadRun,
  pikaci,
  runIds,
  sandboxFor,
  waitFor,
} from "./helpers/cli-incus.js";
import { describeE2E, REPO_ROOT, type TestHost } from "./helpers/test-host.js";
import { bothHostsKeyFlags, type TestHost2, testHost2 } from "./helpers/test-host2.js";

const run = promisify(execFile);

/**
 * Issue 13's acceptance through the CLI against two real build hosts (test/host/host2.sh: a second
 * incusd behind a second sshd): placement over both within capacity, a host lost mid-run, a host
 * down at the start, and labels that match no host. Host 2's sshd is restarted in `finally`.
 */
describeE2E("pikaci run over two build hosts (real sshd + Incus, twice)", (host) => {
  const host2: TestHost2 = testHost2(host);
  const sandbox = sandboxFor("multihost");
  let base: string;
  const url = (h: TestHost, query: string) =>
    `ssh://${h.sshUser}@${h.sshHost}:${h.sshPort}?project=${sandbox.project}&${query}`;
  const id1 = `ssh://root@127.0.0.1:${host.sshPort}?project=${sandbox.project}`;
  const id2 = `ssh://root@127.0.0.1:${host2.sshPort}?project=${sandbox.project}`;
  const host2Sshd = (action: "stop" | "start") =>
    run("bash", [join(REPO_ROOT, "test/host/host2-sshd.sh"), action], {
      env: { ...process.env, PIKACI_TEST_HOST_DIR: host.envFile.replace(/\/host\.env$/, "") },
    });

  beforeAll(async () => {
    base = await mkdtemp(join(tmpdir(), "pikaci-e2e-multihost-"));
    await Promise.all([createSandbox(host, sandbox), createSandbox(host2, sandbox)]);
  });
  afterAll(async () => {
    await host2Sshd("start").catch(() => {});
    await Promise.all([destroySandbox(host, sandbox), destroySandbox(host2, sandbox)]);
    await rm(base, { recursive: true, force: true });
  });

  async function repoWith(name: string, lanes: string[], hosts: string[] = []): Promise<string> {
    const repo = join(base, name);
    await mkdir(join(repo, ".github"), { recursive: true });
    await writeFile(join(repo, "README.md"), `${name}\n`);
    const head = ["version: 1", "defaults:", `  image: ${host.image}`, "  timeout: 120s", ...hosts, "lanes:"];
    await writeFile(join(repo, ".github/pikaci.yml"), [...head, ...lanes, ""].join("\n"));
    return repo;
  }

  function start(repo: string, state: string, hosts: string[]) {
    return pikaci(
      [
        "run",
        ...hosts.flatMap((h) => ["--host", h]),
        ...bothHostsKeyFlags(host, host2),
        "--remote-work-dir",
        sandbox.remoteWorkDir,
        "--state-root",
        state,
      ],
      { cwd: repo },
    );
  }

  it("spreads 16 lanes over 2 hosts of capacity 4: both used, neither ever over 4, one sync each", async () => {
    const lanes = Array.from({ length: 16 }, (_, i) => [`  - id: l${i}`, "    command: sleep 3"]).flat();
    const repo = await repoWith("placement", lanes);
    const state = join(base, "state-placement");
    const result = await start(repo, state, [url(host, "capacity=4"), url(host2, "capacity=4")]);
    expect(result.code, result.stdout + result.stderr).toBe(0);
    const record = await loadRun(state, (await runIds(state))[0]!);
    expect(record.hosts?.map((h) => [h.url, h.status])).toEqual([
      [id1, "used"],
      [id2, "used"],
    ]);
    for (const id of [id1, id2]) {
      const jobs = record.jobs.filter((job) => job.host === id);
      expect(jobs.length, id).toBeGreaterThan(0);
      expect(maxOverlap(jobs), id).toBeLessThanOrEqual(4);
      // The content-addressed sync uploads once per host; every other lane there reuses it.
      expect(
        jobs.filter((job) => job.sync && !job.sync.snapshot_reused),
        id,
      ).toHaveLength(1);
    }
    expect(record.jobs.every((job) => job.status === "passed" && job.attempts?.length === 1)).toBe(true);
  }, 300_000);

  it("fails a lane whose runs_on matches no host at once, naming the labels and the hosts (config hosts:)", async () => {
    const hosts = [
      "hosts:",
      `  - url: ssh://root@127.0.0.1:${host.sshPort}`,
      `    project: ${sandbox.project}`,
      "    labels: [x86_64]",
      `  - url: ssh://root@127.0.0.1:${host2.sshPort}?labels=x86_64,big`,
      `    project: ${sandbox.project}`,
    ];
    const repo = await repoWith(
      "labels",
      [
        "  - id: big",
        "    runs_on: [big]",
        "    command: echo big",
        "  - id: gpu",
        "    runs_on: [gpu, x86_64]",
        "    command: echo gpu",
      ],
      hosts,
    );
    const state = join(base, "state-labels");
    // No --host: the config's hosts: name them.
    const result = await start(repo, state, []);
    expect(result.code, result.stdout + result.stderr).toBe(1);
    const record = await loadRun(state, (await runIds(state))[0]!);
    const gpu = jobOf(record, "gpu");
    expect(gpu).toMatchObject({ status: "failed", failure_kind: "infrastructure", host: null });
    expect(gpu.attempts).toHaveLength(1);
    expect(gpu.message).toContain("runs_on [gpu, x86_64]");
    expect(gpu.message).toContain(`${id1} [x86_64]`);
    expect(gpu.message).toContain(`${id2} [x86_64, big]`);
    expect(Date.parse(gpu.finished_at!) - Date.parse(gpu.started_at!)).toBeLessThan(2_000);
    expect(jobOf(record, "big")).toMatchObject({ status: "passed", host: id2 });
    expect(result.stdout).toContain("runs_on [gpu, x86_64]");
  }, 300_000);

  it("runs every lane on host 1 when host 2 is down at the start, and records host 2 skipped", async () => {
    const lanes = Array.from({ length: 4 }, (_, i) => [`  - id: s${i}`, "    command: echo up"]).flat();
    const repo = await repoWith("startup", lanes);
    const state = join(base, "state-startup");
    await host2Sshd("stop");
    try {
      const result = await start(repo, state, [url(host, "capacity=2"), url(host2, "capacity=4")]);
      expect(result.code, result.stdout + result.stderr).toBe(0);
    } finally {
      await host2Sshd("start");
    }
    const record = await loadRun(state, (await runIds(state))[0]!);
    expect(record.jobs.every((job) => job.status === "passed" && job.host === id1)).toBe(true);
    expect(record.hosts?.[0]).toMatchObject({ url: id1, status: "used", reason: null });
    expect(record.hosts?.[1]).toMatchObject({ url: id2, status: "skipped" });
    expect(record.hosts?.[1]?.reason).toMatch(/ECONNREFUSED|refused|connect/i);
  }, 300_000);

  it("retries host 2's running lanes on host 1 when its sshd dies mid-run; every lane keeps its true result", async () => {
    const lanes = ["p0", "p1", "p2", "p3"].flatMap((id) => [
      `  - id: ${id}`,
      `    command: echo started; sleep 12; echo finished`,
    ]);
    lanes.push("  - id: f0", "    command: echo started; sleep 12; exit 3");
    lanes.push("  - id: f1", "    command: echo started; sleep 12; exit 3");
    const repo = await repoWith("fault", lanes);
    const state = join(base, "state-fault");
    const done = start(repo, state, [url(host, "capacity=3"), url(host2, "capacity=3")]);
    let result: Awaited<typeof done>;
    try {
      // Once host 2's lanes run their command, take host 2 off the network, sessions and all.
      await waitFor("lanes running on host 2", 180_000, async () => {
        const live = await latestRun(state);
        const onHost2 = (live?.jobs ?? []).filter((job) =>
          job.phases.some((p) => p.phase === "wait_for_completion"),
        );
        if (onHost2.length < 6) return null;
        const logs = await Promise.all(
          onHost2.map((job) =>
            readFile(join(state, "runs", live!.run_id, "jobs", job.lane_id, "guest.log"), "utf8").catch(
              () => "",
            ),
          ),
        );
        return logs.every((log) => log.includes("started")) ? true : null;
      });
      await host2Sshd("stop");
      result = await done;
    } finally {
      await host2Sshd("start");
    }
    const record = await loadRun(state, (await runIds(state))[0]!);
    expect(record.hosts?.[1]).toMatchObject({ url: id2, status: "lost" });
    const retried = record.jobs.filter((job) => job.attempts?.length === 2);
    expect(
      retried,
      JSON.stringify(record.jobs.map((j) => [j.lane_id, j.attempts?.map((a) => a.host)])),
    ).toHaveLength(3);
    // The other three ran on host 1 throughout: one attempt each, never on host 2.
    const stayed = record.jobs.filter((job) => job.attempts?.length === 1);
    expect(stayed.map((job) => job.attempts?.[0]?.host)).toEqual([id1, id1, id1]);
    for (const job of retried) {
      expect(job.attempts?.map((a) => a.host)).toEqual([id2, id1]);
      expect(job.attempts?.[0]).toMatchObject({ status: "failed", failure_kind: "infrastructure" });
    }
    for (const id of ["p0", "p1", "p2", "p3"])
      expect(jobOf(record, id), id).toMatchObject({ status: "passed", host: id1 });
    for (const id of ["f0", "f1"]) {
      expect(jobOf(record, id), id).toMatchObject({
        status: "failed",
        failure_kind: "test_failure",
        exit_code: 3,
        host: id1,
      });
    }
    expect(result!.code, result!.stdout + result!.stderr).toBe(1);
  }, 420_000);
});

const jobOf = (record: RunRecord, id: string): JobRecord => record.jobs.find((job) => job.lane_id === id)!;

/** The most attempts whose [started_at, finished_at] overlap at one moment. */
function maxOverlap(jobs: readonly JobRecord[]): number {
  const edges = jobs.flatMap((job) =>
    (job.attempts ?? []).flatMap((a) => [
      { at: Date.parse(a.started_at), step: 1 },
      { at: Date.parse(a.finished_at ?? a.started_at), step: -1 },
    ]),
  );
  edges.sort((x, y) => x.at - y.at || x.step - y.step);
  let now = 0;
  let max = 0;
  for (const edge of edges) {
    now += edge.step;
    max = Math.max(max, now);
  }
  return max;
}
