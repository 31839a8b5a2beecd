import { readFileSync } from "node:fs";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Executor, JobOutcome } from "../../src/executor/executor.js";
import { collectGarbage } from "../../src/executor/incus/gc.js";
import { CLAIM_DEVICE, memberLabels, POOL_PREFIX } from "../../src/executor/incus/warm-pool.js";
import { createIncusExecutor } from "../../src/executor/incus-executor.js";
import { createIncusClient, type IncusClient } from "../../src/incus/client.js";
import type { ExecuteSpec } from "../../src/schema/index.js";
import { buildSnapshot } from "../../src/snapshot/build.js";
import type { Snapshot } from "../../src/snapshot/entries.js";
import { connectSsh, type SshTransport } from "../../src/ssh/ssh-transport.js";
import { LocalhostTransport } from "../../src/transport/localhost.js";
import { requireHostEnvVars } from "./helpers/test-host.js";

/**
 * The warm pool against the real Incus of test/host/setup.sh, in a project of its own so gc here
 * never sees another suite's instances (the project shares the default project's images and profiles).
 */
const env = requireHostEnvVars();
const PROJECT = "pikaci-e2e-pool";
const REMOTE_WORK_DIR = "/var/tmp/pikaci-e2e-pool";
let counter = 0;
const newRunId = () =>
  `20260324T140000Z-${(((process.pid & 0xffff) << 12) + counter++).toString(16).padStart(8, "0")}`;

describe.skipIf(!env)("warm pool (real sshd + Incus)", () => {
  let transport: SshTransport;
  let incus: IncusClient;
  let workspace: string;
  let snapshot: Snapshot;
  const image = env!.PIKACI_TEST_IMAGE!;

  const spec = (command: string): ExecuteSpec => ({
    command,
    run_as_root: process.env.PIKACI_E2E_RUN_AS_ROOT === "1",
    timeout_secs: 60,
    writable_workspace: false,
    image,
    instance_type: "container",
    env: {},
    caches: [],
    mounts: [],
    concurrency_group: null,
    infra_retries: 0,
  });
  const members = async () => (await incus.list(POOL_PREFIX)).filter((i) => i.status === "Running");
  const run = async (executor: Executor, command: string) => {
    let host = "";
    let guest = "";
    const outcome: JobOutcome = await executor.runJob(
      {
        run_id: newRunId(),
        lane_id: "lane",
        description: "pool",
        attempt: 1,
        execute: spec(command),
        snapshot,
        job_dir: workspace,
      },
      {
        phase: () => {},
        log: (stream, text) => {
          if (stream === "host") host += text;
          else guest += text;
        },
      },
      new AbortController().signal,
    );
    return { outcome, host, guest };
  };
  const pooled = (size: number) =>
    createIncusExecutor({ transport, remoteWorkDir: REMOTE_WORK_DIR, project: PROJECT, warmPool: size });

  beforeAll(async () => {
    transport = await connectSsh({
      url: `ssh://${env!.PIKACI_TEST_SSH_USER}@${env!.PIKACI_TEST_SSH_HOST}:${env!.PIKACI_TEST_SSH_PORT}`,
      privateKey: readFileSync(env!.PIKACI_TEST_SSH_KEY!),
      knownHosts: readFileSync(env!.PIKACI_TEST_KNOWN_HOSTS_FILE!, "utf8"),
    });
    const exists = await transport.exec(["incus", "project", "show", PROJECT]);
    if (exists.code !== 0) {
      const created = await transport.exec([
        "incus",
        "project",
        "create",
        PROJECT,
        "-c",
        "features.images=false",
        "-c",
        "features.profiles=false",
      ]);
      expect(created.stderr.toString()).not.toMatch(/Error(?!.*already exists)/);
    }
    incus = createIncusClient({ transport, project: PROJECT });
    for (const i of await incus.list("pikaci-")) await incus.delete(i.name);
    workspace = await mkdtemp(join(tmpdir(), "pikaci-e2e-pool-"));
    await writeFile(join(workspace, "hello.txt"), "hello from the snapshot\n");
    const built = await buildSnapshot({ root: workspace, cacheFile: null });
    snapshot = built;
  });

  afterAll(async () => {
    if (!transport) return;
    for (const i of await incus.list("pikaci-")) await incus.delete(i.name);
    await transport.exec(["incus", "project", "delete", PROJECT]);
    await transport.exec(["rm", "-rf", REMOTE_WORK_DIR]);
    await transport.close();
    await rm(workspace, { recursive: true, force: true });
  });

  it("launches cold on an empty pool, fills it after, then hands a job a running member once", async () => {
    const executor = pooled(2);
    const cold = await run(executor, "cat hello.txt");
    expect(cold.outcome).toMatchObject({ status: "passed", message: null });
    expect(cold.host).not.toContain("warm pool: claimed");
    await executor.drain!();
    const before = (await members()).map((m) => m.name);
    expect(before).toHaveLength(2);

    const warm = await run(executor, "cat hello.txt; echo $PIKACI_LANE_ID");
    expect(warm.outcome).toMatchObject({ status: "passed", message: null });
    expect(warm.guest).toContain("hello from the snapshot\nlane\n");
    const claimed = warm.outcome.instance_name!;
    expect(before).toContain(claimed);
    expect(warm.host).toContain(`warm pool: claimed running instance ${claimed}`);
    await executor.drain!();
    // Never reused: the claimed member is gone, and a new one took its place.
    const after = (await members()).map((m) => m.name);
    expect(after).not.toContain(claimed);
    expect(after).toHaveLength(2);
  });

  it("runs a warm job over the localhost transport, on the daemon's socket directly", async () => {
    const local = new LocalhostTransport();
    expect(await createIncusClient({ transport: local, project: PROJECT }).connection()).toMatchObject({
      kind: "api",
    });
    const executor = createIncusExecutor({
      transport: local,
      remoteWorkDir: REMOTE_WORK_DIR,
      project: PROJECT,
      warmPool: 1,
    });
    await run(executor, "true"); // fills the pool
    await executor.drain!();
    const warm = await run(executor, "cat hello.txt");
    expect(warm.host).toContain("warm pool: claimed running instance");
    expect(warm.outcome).toMatchObject({ status: "passed", message: null });
    expect(warm.guest).toContain("hello from the snapshot\n");
    await executor.drain!();
  });

  it("runs a warm job the same way over the incus CLI fallback (no API socket)", async () => {
    const executor = createIncusExecutor({
      transport,
      remoteWorkDir: REMOTE_WORK_DIR,
      project: PROJECT,
      warmPool: 1,
      incusApi: false,
    });
    await run(executor, "true"); // fills the pool
    await executor.drain!();
    const warm = await run(executor, "cat hello.txt; echo oops >&2; exit 3");
    expect(warm.host).toContain("warm pool: claimed running instance");
    expect(warm.outcome).toMatchObject({ status: "failed" });
    expect(warm.outcome.message).toMatch(/exit(ed)? (code )?3/);
    expect(warm.guest).toContain("hello from the snapshot\n");
    expect(warm.guest).toContain("oops\n");
    await executor.drain!();
  });

  it.each([
    ["the Incus API (claim and hot-plug in one If-Match write)", true],
    ["the incus CLI fallback", false],
  ])(
    "never hands one member to two claimers over %s: eight concurrent claims, exactly one wins",
    async (_, api) => {
      const name = `${POOL_PREFIX}e2e-race`;
      const fingerprint = (await incus.imageFingerprint(image))!;
      const labels = memberLabels(
        { fingerprint, instanceType: "container", project: PROJECT },
        image,
        new Date(),
      );
      await incus.create({ image, name, vm: false, config: labels, devices: [] }, { start: true });
      const source = `${REMOTE_WORK_DIR}/race`;
      await transport.exec(["mkdir", "-p", source]);
      // Eight separate clients on separate SSH channels, as eight pikaci processes would be; each
      // claims with its own label and disk, so the winner's write is the only one that may land.
      const clients = Array.from({ length: 8 }, () =>
        createIncusClient({ transport, project: PROJECT, api }),
      );
      expect((await clients[0]!.connection()).kind).toBe(api ? "api" : "cli");
      const results = await Promise.all(
        clients.map((client, i) =>
          client.claim(name, CLAIM_DEVICE, {
            config: { "user.pikaci.e2e.claimer": String(i) },
            devices: { [`race${i}`]: { type: "disk", source, path: `/race${i}`, readonly: "true" } },
          }),
        ),
      );
      expect(results.filter(Boolean)).toHaveLength(1);
      const winner = results.indexOf(true);
      const after = (await incus.list(name)).find((i) => i.name === name)!;
      expect(after.config["user.pikaci.e2e.claimer"]).toBe(String(winner));
      expect(after.devices.filter((d) => d.startsWith("race"))).toEqual([`race${winner}`]);
      const mounted = await incus.exec(name, ["test", "-d", `/race${winner}`]);
      expect(mounted.code).toBe(0);
      await incus.delete(name);
    },
  );

  it("gives concurrent jobs distinct members, and the rest a cold launch without error", async () => {
    const executor = pooled(2);
    await executor.drain!();
    await run(executor, "true"); // tops the pool up to 2 again
    await executor.drain!();
    const available = (await members()).map((m) => m.name);
    expect(available).toHaveLength(2);
    const racers = Array.from({ length: 2 }, () => pooled(2));
    const jobs = await Promise.all([0, 1, 2, 3].map((i) => run(racers[i % 2]!, `echo job-${i}`)));
    for (const job of jobs) expect(job.outcome.status).toBe("passed");
    const fromPool = jobs.map((j) => j.outcome.instance_name!).filter((n) => available.includes(n));
    expect(new Set(fromPool).size).toBe(fromPool.length);
    expect(fromPool.length).toBeGreaterThanOrEqual(1);
    expect(jobs.filter((j) => !j.host.includes("warm pool: claimed"))).toHaveLength(4 - fromPool.length);
    await Promise.all(racers.map((r) => r.drain!()));
  });

  it("pikaci gc reaps members of an outdated image and too old ones, never one being claimed", async () => {
    const fingerprint = (await incus.imageFingerprint(image))!;
    const key = { fingerprint, instanceType: "container" as const, project: PROJECT };
    const launch = async (name: string, labels: Record<string, string>) =>
      incus.create({ image, name, vm: false, config: labels, devices: [] }, { start: true });
    const fresh = memberLabels(key, image, new Date());
    const outdated = { ...fresh, "user.pikaci.pool.fingerprint": "0".repeat(64) };
    const old = memberLabels(key, image, new Date(Date.now() - 3 * 3600_000));
    await launch(`${POOL_PREFIX}e2e-fresh`, fresh);
    await launch(`${POOL_PREFIX}e2e-outdated`, outdated);
    await launch(`${POOL_PREFIX}e2e-old`, old);
    await launch(`${POOL_PREFIX}e2e-claiming`, outdated);
    expect(await incus.claim(`${POOL_PREFIX}e2e-claiming`, CLAIM_DEVICE)).toBe(true);

    const report = await collectGarbage({
      transport,
      remoteWorkDir: REMOTE_WORK_DIR,
      project: PROJECT,
      olderThanSecs: 3600,
      dryRun: false,
    });
    const decision = (name: string) => report.instances.find((d) => d.name === `${POOL_PREFIX}${name}`);
    expect(decision("e2e-fresh")).toMatchObject({ remove: false });
    expect(decision("e2e-outdated")).toMatchObject({
      remove: true,
      reason: expect.stringContaining("updated"),
    });
    expect(decision("e2e-old")).toMatchObject({
      remove: true,
      reason: expect.stringContaining("older than"),
    });
    expect(decision("e2e-claiming")).toMatchObject({
      remove: false,
      reason: expect.stringContaining("claimed"),
    });
    const left = (await incus.list(POOL_PREFIX)).map((i) => i.name);
    expect(left).toEqual(expect.arrayContaining([`${POOL_PREFIX}e2e-fresh`, `${POOL_PREFIX}e2e-claiming`]));
    expect(left).not.toContain(`${POOL_PREFIX}e2e-outdated`);
    expect(left).not.toContain(`${POOL_PREFIX}e2e-old`);
  });
});
