import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { InfrastructureError } from "../../../src/errors/index.js";
import type { HostMember } from "../../../src/executor/multi-host/members.js";
import { createMultiHostExecutor } from "../../../src/executor/multi-host/multi-host-executor.js";
import { type PikaciConfig, RunRecord } from "../../../src/schema/index.js";
import type { Snapshot } from "../../../src/snapshot/entries.js";
import { createStateStore, type StateStore } from "../../../src/store/index.js";
import { runLanes } from "../../helpers/run-lanes.js";
import { type FakeBehaviour, fakeExecutor, pass, sleep } from "../run/fake-executor.js";

const snapshot = async (root: string): Promise<Snapshot> => ({
  root,
  hash: "b".repeat(64),
  entries: [],
  files: 0,
  bytes: 0,
  cacheHits: 0,
  memo: false,
  source: "walk",
});

function member(id: string, behaviour: FakeBehaviour, extra: Partial<HostMember> = {}) {
  const fake = fakeExecutor(behaviour);
  const state = { probeFails: null as string | null };
  const m: HostMember = {
    id,
    capacity: 4,
    labels: [],
    executor: fake.executor,
    probe: async () => {
      if (state.probeFails) throw new InfrastructureError(state.probeFails);
      return 0;
    },
    skipped: null,
    liveAtStart: 0,
    close: async () => {},
    ...extra,
  };
  return { member: m, stats: fake.stats, state };
}

const lanes = (n: number, extra: Record<string, unknown> = {}): PikaciConfig => ({
  version: 1,
  lanes: Array.from({ length: n }, (_, i) => ({ id: `lane-${i}`, command: "true", ...extra })),
});

let root: string;
let store: StateStore;
beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), "pikaci-multihost-"));
  store = createStateStore({ root });
});
afterEach(() => rm(root, { recursive: true, force: true }));

async function run(config: PikaciConfig, members: HostMember[]): Promise<RunRecord> {
  const executor = createMultiHostExecutor({ members, reprobeMs: 50 });
  const record = await runLanes({
    config,
    configPath: ".github/pikaci.yml",
    workspace: "/nonexistent",
    executor,
    store,
    concurrency: 1,
    hashSnapshot: snapshot,
  });
  return RunRecord.parse(record);
}

describe("the several-host executor under the engine", () => {
  it("runs 16 lanes over 2 hosts of capacity 4: never more than 4 on either, both used", async () => {
    const slow = async () => {
      await sleep(20);
      return pass();
    };
    const a = member("ssh://a:22", slow);
    const b = member("ssh://b:22", slow);
    const record = await run(lanes(16), [a.member, b.member]);
    expect(record.status).toBe("passed");
    expect(a.stats.maxActive).toBe(4);
    expect(b.stats.maxActive).toBe(4);
    expect(a.stats.calls.length + b.stats.calls.length).toBe(16);
    const hosts = new Set(record.jobs.map((j) => j.host));
    expect(hosts).toEqual(new Set(["ssh://a:22", "ssh://b:22"]));
    expect(record.jobs.every((j) => j.attempts?.[0]?.host === j.host)).toBe(true);
    expect(record.hosts?.map((h) => h.status)).toEqual(["used", "used"]);
  });

  it("retries an infrastructure failure on the other host and marks the lost host", async () => {
    const a = member("ssh://a:22", async () => {
      a.state.probeFails = "connection lost";
      return {
        status: "failed",
        failure_kind: "infrastructure",
        exit_code: null,
        message: "ssh: connection lost",
      };
    });
    const b = member("ssh://b:22", pass, { capacity: 1 });
    const record = await run(lanes(3), [a.member, b.member]);
    expect(record.status).toBe("passed");
    const retried = record.jobs.filter((j) => (j.attempts ?? []).length === 2);
    expect(retried.length).toBeGreaterThan(0);
    for (const job of retried) expect(job.attempts?.map((x) => x.host)).toEqual(["ssh://a:22", "ssh://b:22"]);
    expect(record.jobs.every((j) => j.host === "ssh://b:22")).toBe(true);
    expect(record.hosts?.[0]).toMatchObject({ status: "lost", reason: "connection lost" });
    expect(record.hosts?.[1]).toMatchObject({ status: "used", reason: null });
  });

  it("a host skipped at the start gets no lane, and run.json says why", async () => {
    const a = member("ssh://a:22", pass, { executor: null, skipped: "connect ECONNREFUSED 127.0.0.1:22" });
    const b = member("ssh://b:22", pass);
    const record = await run(lanes(5), [a.member, b.member]);
    expect(record.status).toBe("passed");
    expect(record.jobs.every((j) => j.host === "ssh://b:22")).toBe(true);
    expect(record.hosts?.[0]).toMatchObject({
      status: "skipped",
      reason: "connect ECONNREFUSED 127.0.0.1:22",
    });
  });

  it("no host left: every lane fails as infrastructure with every host's reason, once", async () => {
    const a = member("ssh://a:22", pass, { executor: null, skipped: "a refused" });
    const b = member("ssh://b:22", pass, { executor: null, skipped: "b timed out" });
    const record = await run(lanes(2), [a.member, b.member]);
    expect(record.status).toBe("failed");
    for (const job of record.jobs) {
      expect(job).toMatchObject({ status: "failed", failure_kind: "infrastructure" });
      expect(job.attempts).toHaveLength(1);
      expect(job.message).toContain("ssh://a:22: a refused");
      expect(job.message).toContain("ssh://b:22: b timed out");
    }
  });

  it("a lane whose runs_on matches no host fails at once, naming the labels and the hosts", async () => {
    const a = member("ssh://a:22", pass, { labels: ["x86_64"] });
    const config: PikaciConfig = {
      version: 1,
      lanes: [
        { id: "fits", command: "true", runs_on: ["x86_64"] },
        { id: "gpu", command: "true", runs_on: ["gpu"] },
      ],
    };
    const record = await run(config, [a.member]);
    const gpu = record.jobs.find((j) => j.lane_id === "gpu")!;
    expect(gpu).toMatchObject({ status: "failed", failure_kind: "infrastructure", host: null });
    expect(gpu.attempts).toHaveLength(1);
    expect(gpu.message).toContain("runs_on [gpu]");
    expect(gpu.message).toContain("ssh://a:22 [x86_64]");
    expect(record.jobs.find((j) => j.lane_id === "fits")).toMatchObject({
      status: "passed",
      host: "ssh://a:22",
    });
    expect(a.stats.calls.map((c) => c.job)).toEqual(["fits"]);
  });
});
