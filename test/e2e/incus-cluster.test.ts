import { execFile } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, expect, it } from "vitest";
import type { Executor, JobEvents, JobSpec } from "../../src/executor/executor.js";
import { createIncusExecutor } from "../../src/executor/incus-executor.js";
import type { ExecuteSpec } from "../../src/schema/index.js";
import { buildSnapshot } from "../../src/snapshot/build.js";
import type { Snapshot } from "../../src/snapshot/entries.js";
import { LocalhostTransport } from "../../src/transport/localhost.js";
import type { Transport } from "../../src/transport/transport.js";
import { describeE2E, REPO_ROOT } from "./helpers/test-host.js";

const run = promisify(execFile);
const CLUSTER_SH = join(REPO_ROOT, "test/host/cluster.sh");

/**
 * The host's Incus is a real two-member cluster (test/host/cluster.sh: two more incusd on loopback
 * addresses, joined). pikaci talks to it through member-a like any host; it records where each
 * `incus launch` put the instance, read back from the cluster right after the launch.
 */
function clusterTransport(incusDir: string, placed: Map<string, string>): Transport {
  const local = new LocalhostTransport();
  const withDir = (argv: readonly string[]) => ["env", `INCUS_DIR=${incusDir}`, ...argv];
  return {
    description: "incus-cluster",
    async exec(argv, options) {
      const result = await local.exec(withDir(argv), options);
      if (argv[0] === "incus" && argv[1] === "launch" && result.code === 0) {
        const name = argv.find((arg) => /^pikaci-[0-9a-f]{12}$/.test(arg))!;
        const info = await local.exec(withDir(["incus", "query", `/1.0/instances/${name}`]));
        placed.set(name, JSON.parse(info.stdout.toString()).location);
      }
      return result;
    },
    close: () => local.close(),
  };
}

describeE2E("an Incus cluster as one build host (two real members)", (host) => {
  const dir = `/tmp/pikaci-e2e-cluster-${process.pid.toString(36)}`;
  const placed = new Map<string, string>();
  let workspace: string;
  let snapshot: Snapshot;
  let executor: Executor;
  let counter = 0;

  beforeAll(async () => {
    const { stdout } = await run("bash", [CLUSTER_SH, "start", dir], { timeout: 120_000 });
    const incusDir = /^INCUS_DIR=(.*)$/m.exec(stdout)![1]!;
    workspace = await mkdtemp(join(tmpdir(), "pikaci-e2e-cluster-ws-"));
    await writeFile(join(workspace, "hello.txt"), "from the snapshot\n");
    snapshot = await buildSnapshot({ root: workspace, cacheFile: null });
    executor = createIncusExecutor({
      transport: clusterTransport(incusDir, placed),
      // On the machine both members share: the snapshot and artifact dirs are reachable from either.
      remoteWorkDir: join(dir, "work"),
    });
  }, 150_000);
  afterAll(async () => {
    await run("bash", [CLUSTER_SH, "stop", dir], { timeout: 120_000 });
    await rm(workspace, { recursive: true, force: true });
  });

  async function runLane(runsOn: string[] | undefined) {
    const base: ExecuteSpec = {
      command: "cat hello.txt",
      run_as_root: false,
      timeout_secs: 60,
      writable_workspace: false,
      image: host.image,
      instance_type: "container",
      env: {},
      caches: [],
      mounts: [],
      concurrency_group: null,
      infra_retries: 0,
    };
    const execute: ExecuteSpec = runsOn === undefined ? base : { ...base, runs_on: runsOn };
    const job: JobSpec = {
      run_id: `20261202T050000Z-${(((process.pid & 0xffff) << 8) + counter++).toString(16).padStart(8, "0")}`,
      lane_id: "lane",
      description: "cluster e2e",
      attempt: 1,
      execute,
      snapshot,
      job_dir: workspace,
    };
    let log = "";
    const events: JobEvents = {
      phase: () => {},
      log: (_stream, text) => {
        log += text;
      },
    };
    const outcome = await executor.runJob(job, events, new AbortController().signal);
    await executor.drain?.();
    return { outcome, log, location: placed.get(outcome.instance_name!) };
  }

  it("launches a lane whose runs_on names a member on that member, with --target", async () => {
    for (const member of ["member-b", "member-a", "member-b"]) {
      const { outcome, log, location } = await runLane(["x86_64", member]);
      expect(outcome.status, log).toBe("passed");
      expect(log).toContain("from the snapshot");
      expect(log).toContain(`Incus cluster member ${member} (named by runs_on)`);
      expect(location).toBe(member);
    }
  }, 120_000);

  it("leaves a lane without a member label to Incus's own placement", async () => {
    const { outcome, log, location } = await runLane(["x86_64"]);
    expect(outcome.status, log).toBe("passed");
    expect(log).not.toContain("Incus cluster member");
    expect(["member-a", "member-b"]).toContain(location);
  }, 60_000);

  it("fails a lane that names both members, naming them", async () => {
    const { outcome } = await runLane(["member-a", "member-b"]);
    expect(outcome.status).toBe("failed");
    expect(outcome.message).toContain(
      "runs_on names several members of one Incus cluster: member-a, member-b",
    );
  }, 60_000);
});
