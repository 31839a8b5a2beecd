import { execFileSync } from "node:child_process";
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { resolveLane } from "../../../src/config/index.js";
import type { JobEvents, JobSpec } from "../../../src/executor/executor.js";
import { createLocalExecutor } from "../../../src/executor/local-executor.js";
import type { LaneConfig } from "../../../src/schema/index.js";
import { buildSnapshot } from "../../../src/snapshot/build.js";

let base: string;
let workspace: string;
beforeEach(async () => {
  base = await mkdtemp(join(tmpdir(), "pikaci-local-artifacts-"));
  workspace = join(base, "ws");
  await mkdir(join(workspace, "test"), { recursive: true });
  await writeFile(
    join(workspace, "test", "calc.bats"),
    '@test "adds" {\n  [ "$((1 + 1))" -eq 2 ]\n}\n\n@test "subtracts wrongly" {\n  [ "$((5 - 3))" -eq 1 ]\n}\n',
  );
});
afterEach(() => rm(base, { recursive: true, force: true }));

const noEvents: JobEvents & { host: string } = {
  host: "",
  phase() {},
  log(stream, text) {
    if (stream === "host") noEvents.host += text;
  },
};

async function run(lane: Partial<LaneConfig> & Pick<LaneConfig, "command">) {
  const snapshot = await buildSnapshot({ root: workspace, cacheFile: null });
  const resolved = resolveLane({ lanes: [{ id: "lane", timeout: 60, ...lane }] }, "lane");
  const job: JobSpec = {
    run_id: "20260101T000000Z-00000000",
    lane_id: "lane",
    description: "lane",
    attempt: 1,
    execute: resolved.execute,
    snapshot,
    job_dir: join(base, "job"),
  };
  noEvents.host = "";
  const executor = createLocalExecutor({ tmpRoot: join(base, "tmp"), env: { PATH: process.env.PATH } });
  return executor.runJob(job, noEvents, new AbortController().signal);
}

const hasBats = (() => {
  try {
    execFileSync("bats", ["--version"]);
    return true;
  } catch {
    return false;
  }
})();

describe("local executor: artifacts and JUnit reports", () => {
  it.runIf(hasBats)(
    "bats writes JUnit into $PIKACI_OUTPUT_DIR; the failure is located in the repository",
    async () => {
      const outcome = await run({
        command: 'bats --formatter junit test/calc.bats > "$PIKACI_OUTPUT_DIR/report.xml"',
        reports: [{ junit: "$PIKACI_OUTPUT_DIR/*.xml" }],
      });
      expect(outcome.status).toBe("failed");
      expect(outcome.artifacts?.files).toEqual([
        { name: "outputs/report.xml", bytes: expect.any(Number), report: true },
      ]);
      expect(await readFile(join(base, "job", "artifacts", "outputs", "report.xml"), "utf8")).toContain(
        "<testsuite",
      );
      expect(outcome.tests?.counts).toMatchObject({ total: 2, passed: 1, failed: 1 });
      expect(outcome.tests?.failed.map((c) => [c.name, c.file, c.line])).toEqual([
        ["subtracts wrongly", "test/calc.bats", 6],
      ]);
    },
  );

  it("collects workspace files by glob; symlinks are not followed and '..' cannot be written", async () => {
    const outcome = await run({
      command: [
        "mkdir -p out/deep && echo one > out/a.log && echo two > out/deep/b.log",
        "ln -s /etc/passwd out/passwd.log && ln -s /etc out/etc",
        'echo three > "$PIKACI_OUTPUT_DIR/c.txt"',
      ],
      artifacts: ["out/**/*.log", "out/etc/*", "$PIKACI_OUTPUT_DIR/*.txt", "nothing/*.xml"],
    });
    expect(outcome.status).toBe("passed");
    expect(outcome.artifacts?.files.map((f) => f.name).sort()).toEqual([
      "outputs/c.txt",
      "workspace/out/a.log",
      "workspace/out/deep/b.log",
    ]);
    expect(outcome.artifacts?.warnings).toEqual([
      "out/etc/*: no file matched",
      "nothing/*.xml: no file matched",
    ]);
    expect(await readdir(join(base, "job", "artifacts", "workspace", "out"))).toEqual(["a.log", "deep"]);
    expect(outcome.tests).toBeUndefined();
  });

  it("caps the number of files and says so", async () => {
    const outcome = await run({
      command: 'for i in $(seq 1 1005); do echo $i > "$PIKACI_OUTPUT_DIR/f$i.txt"; done',
      artifacts: ["$PIKACI_OUTPUT_DIR/*.txt"],
    });
    expect(outcome.artifacts?.files).toHaveLength(1000);
    expect(outcome.artifacts?.warnings).toEqual([
      "1005 files matched the lane's artifacts and reports; only the first 1000 were collected (the limit per lane)",
    ]);
    expect(noEvents.host).toContain("artifacts: 1005 files matched");
  });

  it("absolute globs name guest paths: refused locally with a reason", async () => {
    const outcome = await run({ command: "true", artifacts: ["/etc/*"] });
    expect(outcome.artifacts).toEqual({
      files: [],
      bytes: 0,
      warnings: ["/etc/*: absolute paths name guest paths and apply to the Incus executor only"],
    });
  });
});
