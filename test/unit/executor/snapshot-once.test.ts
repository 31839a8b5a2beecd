import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { createLocalExecutor } from "../../../src/executor/local-executor.js";
import * as build from "../../../src/snapshot/build.js";
import * as list from "../../../src/snapshot/list-files.js";
import { createStateStore } from "../../../src/store/index.js";
import { runLanes } from "../../helpers/run-lanes.js";

// Spies that call through: every module that builds or lists a snapshot goes through these
// exports, so the counts are the run's real work, whatever the executor does inside.
vi.mock("../../../src/snapshot/build.js", async (importOriginal) => {
  const real = await importOriginal<typeof import("../../../src/snapshot/build.js")>();
  return { ...real, buildSnapshot: vi.fn(real.buildSnapshot) };
});
vi.mock("../../../src/snapshot/list-files.js", async (importOriginal) => {
  const real = await importOriginal<typeof import("../../../src/snapshot/list-files.js")>();
  return { ...real, listFiles: vi.fn(real.listFiles) };
});

let base: string;
beforeEach(async () => {
  base = await mkdtemp(join(tmpdir(), "pikaci-snapshot-once-"));
  await mkdir(join(base, "ws", "src"), { recursive: true });
  await writeFile(join(base, "ws", "README.md"), "built once\n");
  await writeFile(join(base, "ws", "src", "a.txt"), "a\n");
  vi.mocked(build.buildSnapshot).mockClear();
  vi.mocked(list.listFiles).mockClear();
});
afterEach(async () => {
  await rm(base, { recursive: true, force: true });
});

describe("one snapshot per run", () => {
  it("two lanes on the local executor: the workspace is built and listed once, both lanes get its tree", async () => {
    const workspace = join(base, "ws");
    const stateRoot = join(base, "state");
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
      executor: createLocalExecutor({ tmpRoot: join(base, "tmp"), env: { PATH: process.env.PATH } }),
      store: createStateStore({ root: stateRoot }),
      concurrency: 2,
    });
    expect(record.jobs.map((job) => [job.lane_id, job.status])).toEqual([
      ["one", "passed"],
      ["two", "passed"],
    ]);
    expect(build.buildSnapshot).toHaveBeenCalledTimes(1);
    expect(list.listFiles).toHaveBeenCalledTimes(1);
    expect(record.snapshot_hash).toBe((await vi.mocked(build.buildSnapshot).mock.results[0]!.value).hash);
  });
});
