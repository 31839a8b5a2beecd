import { readFileSync } from "node:fs";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { JobSpec } from "../../src/executor/executor.js";
import { createIncusExecutor } from "../../src/executor/incus-executor.js";
import { createIncusClient } from "../../src/incus/client.js";
import { buildSnapshot } from "../../src/snapshot/build.js";
import { connectSsh, type SshTransport } from "../../src/ssh/ssh-transport.js";
import { requireHostEnvVars } from "./helpers/test-host.js";

/**
 * The test host's default profile puts root disks on the btrfs pool; this keeps the `dir` pool (what
 * a build host without a copy-on-write filesystem has) covered: a lane whose instance lives there.
 */
const env = requireHostEnvVars();
const REMOTE_WORK_DIR = "/var/tmp/pikaci-e2e-dir-pool";

describe.skipIf(!env)("Incus executor on the dir storage pool", () => {
  let transport: SshTransport;
  let workspace: string;
  const dirPool = env?.PIKACI_TEST_DIR_POOL ?? "default";

  beforeAll(async () => {
    transport = await connectSsh({
      url: `ssh://${env!.PIKACI_TEST_SSH_USER}@${env!.PIKACI_TEST_SSH_HOST}:${env!.PIKACI_TEST_SSH_PORT}`,
      privateKey: readFileSync(env!.PIKACI_TEST_SSH_KEY!),
      knownHosts: readFileSync(env!.PIKACI_TEST_KNOWN_HOSTS_FILE!, "utf8"),
    });
    workspace = await mkdtemp(join(tmpdir(), "pikaci-e2e-dir-pool-"));
    await writeFile(join(workspace, "hello.txt"), "hello from the snapshot\n");
  });

  afterAll(async () => {
    if (!transport) return;
    await transport.exec(["rm", "-rf", REMOTE_WORK_DIR]);
    await transport.close();
    await rm(workspace, { recursive: true, force: true });
  });

  it("runs a lane whose root disk is on the dir pool, and deletes the instance", async () => {
    const driver = await transport.exec(["incus", "query", `/1.0/storage-pools/${dirPool}`]);
    expect(JSON.parse(driver.stdout.toString()).driver).toBe("dir");
    const built = await buildSnapshot({ root: workspace, cacheFile: null });
    const executor = createIncusExecutor({ transport, remoteWorkDir: REMOTE_WORK_DIR, storagePool: dirPool });
    const job: JobSpec = {
      run_id: `20260324T150000Z-${(process.pid & 0xffffff).toString(16).padStart(8, "0")}`,
      lane_id: "lane",
      description: "dir pool",
      attempt: 1,
      snapshot: built,
      job_dir: workspace,
      execute: {
        command: "cat hello.txt; echo on-dir > /artifacts/outputs/done.txt; echo running; sleep 2",
        run_as_root: process.env.PIKACI_E2E_RUN_AS_ROOT === "1",
        timeout_secs: 60,
        writable_workspace: true,
        image: env!.PIKACI_TEST_IMAGE!,
        instance_type: "container",
        env: {},
        caches: [],
        mounts: [],
        concurrency_group: null,
        infra_retries: 0,
      },
    };
    let guest = "";
    let rootPool: Promise<string> | null = null;
    const outcome = await executor.runJob(
      job,
      {
        phase: () => {},
        log: (stream, text) => {
          if (stream !== "guest") return;
          guest += text;
          if (text.includes("running") && rootPool === null) {
            rootPool = createIncusClient({ transport })
              .list("pikaci-")
              .then(async (list) => {
                const mine = list.find((i) => i.config["user.pikaci.run_id"] === job.run_id)!;
                const shown = await transport.exec(["incus", "query", `/1.0/instances/${mine.name}`]);
                return JSON.parse(shown.stdout.toString()).expanded_devices.root.pool as string;
              });
          }
        },
      },
      new AbortController().signal,
    );
    await executor.drain!();
    expect(outcome).toMatchObject({ status: "passed", message: null });
    expect(guest).toContain("hello from the snapshot\n");
    expect(await rootPool).toBe(dirPool);
    const left = await createIncusClient({ transport }).list(outcome.instance_name!);
    expect(left).toEqual([]);
  });
});
