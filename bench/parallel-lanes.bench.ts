/**
 * 8 lanes of `sleep 5` in parallel (concurrency 8) against 1 lane, each measured as the wall time
 * of a whole `runLanes` call, median of PIKACI_BENCH_REPEAT runs (default 3). Target: ≤ 1.6×.
 *
 * Uses the Incus executor over SSH on the test host of `bash test/host/setup.sh` (its
 * `.test-host/host.env`, read by test/e2e/helpers/test-host.ts) with its busybox image. The target
 * is about Incus, so without a test host it refuses rather than measure something else.
 * Run: npx tsx bench/parallel-lanes.bench.ts
 */
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createExecutor } from "../src/executor/create.js";
import type { PikaciConfig } from "../src/schema/index.js";
import { createStateStore } from "../src/store/index.js";
import { runLanes } from "../test/helpers/run-lanes.js";
import { testHostOrExit } from "./lib/test-host.js";

const REPEAT = Number(process.env.PIKACI_BENCH_REPEAT ?? 3);
const LANES = 8;

// run_as_root: the busybox image cannot drop privileges to the lane user (no setpriv/chpst).
const config = (count: number, image: string | undefined): PikaciConfig => ({
  version: 1,
  defaults: { timeout: 120, ...(image ? { image, run_as_root: true } : {}) },
  lanes: Array.from({ length: count }, (_, i) => ({ id: `sleep-${i + 1}`, command: "sleep 5" })),
});

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

async function main(): Promise<void> {
  const host = testHostOrExit(
    "parallel-lanes",
    "Its target is for the Incus executor; the local executor is not a stand-in for it.",
  );
  const opened = await createExecutor({
    host: `ssh://${host.sshUser}@${host.sshHost}:${host.sshPort}`,
    sshKey: host.sshKey,
    knownHosts: host.knownHostsFile,
    image: host.image,
    defaultCapacity: LANES,
  });
  console.log(`executor: incus over ${opened.description}`);
  const base = await mkdtemp(join(tmpdir(), "pikaci-bench-parallel-"));
  try {
    const workspace = join(base, "ws");
    await mkdir(workspace, { recursive: true });
    await writeFile(join(workspace, "README.md"), "bench\n");
    const store = createStateStore({ root: join(base, "state") });
    const measure = async (count: number): Promise<number> => {
      const t0 = performance.now();
      const run = await runLanes({
        config: config(count, host.image),
        configPath: ".github/pikaci.yml",
        workspace,
        executor: opened.executor,
        store,
        concurrency: LANES,
      });
      const ms = performance.now() - t0;
      if (run.status !== "passed")
        throw new Error(
          `bench run ${run.run_id} ${run.status}: ${JSON.stringify(run.jobs.map((j) => [j.lane_id, j.status, j.message]))}`,
        );
      return ms;
    };
    await measure(1); // warm-up: snapshot sync, image cache, digest cache
    const one: number[] = [];
    const eight: number[] = [];
    for (let i = 0; i < REPEAT; i++) {
      one.push(await measure(1));
      eight.push(await measure(LANES));
    }
    const ratio = median(eight) / median(one);
    const fmt = (ms: number) => `${(ms / 1000).toFixed(2)}s`;
    console.log(`1 lane of sleep 5:            median ${fmt(median(one))}  (${one.map(fmt).join(", ")})`);
    console.log(
      `${LANES} lanes of sleep 5 (conc. ${LANES}): median ${fmt(median(eight))}  (${eight.map(fmt).join(", ")})`,
    );
    console.log(`ratio ${ratio.toFixed(2)}x (target <= 1.6x): ${ratio <= 1.6 ? "PASS" : "FAIL"}`);
    process.exitCode = ratio <= 1.6 ? 0 : 1;
  } finally {
    await opened.close();
    await rm(base, { recursive: true, force: true });
  }
}

await main();
