import { readFileSync } from "node:fs";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it, vi } from "vitest";
import { createIncusExecutor } from "../../src/executor/incus-executor.js";
import * as build from "../../src/snapshot/build.js";
import * as list from "../../src/snapshot/list-files.js";
import { connectSsh } from "../../src/ssh/ssh-transport.js";
import { createStateStore } from "../../src/store/index.js";
import { runLanes } from "../helpers/run-lanes.js";
import { requireHostEnvVars } from "./helpers/test-host.js";

// Spies that call through (as in test/unit/executor/snapshot-once.test.ts): every build or listing
// of a snapshot, by the run or inside the executor, is counted.
vi.mock("../../src/snapshot/build.js", async (importOriginal) => {
  const real = await importOriginal<typeof import("../../src/snapshot/build.js")>();
  return { ...real, buildSnapshot: vi.fn(real.buildSnapshot) };
});
vi.mock("../../src/snapshot/list-files.js", async (importOriginal) => {
  const real = await importOriginal<typeof import("../../src/snapshot/list-files.js")>();
  return { ...real, listFiles: vi.fn(real.listFiles) };
});

const env = requireHostEnvVars();
const REMOTE_WORK_DIR = `/var/tmp/pikaci-e2e-snapshot-once-${process.pid}`;

describe.skipIf(!env)("one snapshot per run on the Incus executor (real sshd + Incus)", () => {
  const cleanup: (() => Promise<unknown>)[] = [];
  afterAll(async () => {
    for (const step of cleanup.reverse()) await step().catch(() => {});
  });

  it("two lanes: the workspace is built and listed once, synced once, and both lanes read it", async () => {
    const base = await mkdtemp(join(tmpdir(), "pikaci-e2e-snapshot-once-"));
    cleanup.push(() => rm(base, { recursive: true, force: true }));
    const workspace = join(base, "ws");
    await mkdir(join(workspace, "src"), { recursive: true });
    await writeFile(join(workspace, "README.md"), `built once ${process.pid} ${Date.now()}\n`);
    await writeFile(join(workspace, "src", "a.txt"), "a\n");
    const transport = await connectSsh({
      url: `ssh://${env!.PIKACI_TEST_SSH_USER}@${env!.PIKACI_TEST_SSH_HOST}:${env!.PIKACI_TEST_SSH_PORT}`,
      privateKey: readFileSync(env!.PIKACI_TEST_SSH_KEY!),
      knownHosts: readFileSync(env!.PIKACI_TEST_KNOWN_HOSTS_FILE!, "utf8"),
    });
    cleanup.push(() => transport.close());
    cleanup.push(() => transport.exec(["rm", "-rf", REMOTE_WORK_DIR]));
    const stateRoot = join(base, "state");
    const executor = createIncusExecutor({
      transport,
      remoteWorkDir: REMOTE_WORK_DIR,
      image: env!.PIKACI_TEST_IMAGE!,
      stateRoot,
    });
    // The deletes run after the verdicts; await them before the connection closes (cleanup runs in reverse).
    cleanup.push(async () => executor.drain?.());
    vi.mocked(build.buildSnapshot).mockClear();
    vi.mocked(list.listFiles).mockClear();

    const record = await runLanes({
      config: {
        version: 1,
        lanes: [
          { id: "one", command: "cat README.md src/a.txt" },
          { id: "two", command: "test -f src/a.txt && cat README.md" },
        ],
      },
      configPath: ".github/pikaci.yml",
      workspace,
      stateRoot,
      executor,
      store: createStateStore({ root: stateRoot }),
      concurrency: 2,
    });

    expect(record.jobs.map((job) => [job.lane_id, job.status])).toEqual([
      ["one", "passed"],
      ["two", "passed"],
    ]);
    expect(build.buildSnapshot).toHaveBeenCalledTimes(1);
    expect(list.listFiles).toHaveBeenCalledTimes(1);
    // One upload for the run: the other lane waited for it and reused the published tree.
    const reused = record.jobs.map((job) => job.sync?.snapshot_reused).sort();
    expect(reused).toEqual([false, true]);
    expect(record.jobs.every((job) => job.sync?.snapshot_hash === record.snapshot_hash)).toBe(true);
  });
});
