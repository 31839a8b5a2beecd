/**
 * The warm pool and verdict-before-clean-up (issue 15), on the test host's default storage pool
 * (btrfs, from test/host/setup.sh), against the floor of what Incus costs anyway:
 *   floor  = one ssh command `incus launch IMAGE N && incus exec N -- true && incus delete -f N`
 *   cold   = job start → verdict of an `echo` lane without a pool (the delete follows the verdict)
 *   warm   = the same with a warm pool (a running member claimed, disks hot-plugged)
 *   first  = job start → first guest output, warm
 *   8 vs 1 = wall time of 8 parallel `sleep 5` lanes against 1, warm (pool of 8)
 * Before each timed warm job the pool is refilled (`drain`, untimed), as it is between runs.
 * Medians of PIKACI_BENCH_REPEAT (default 5; 3 for the sleeps) after a warm-up; exits 1 on a miss.
 * Image: PIKACI_BENCH_IMAGE or the test host's busybox.  Run: npx tsx bench/warm-pool.bench.ts
 */
import { readFileSync } from "node:fs";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import type { Executor, JobSpec } from "../src/executor/executor.js";
import { POOL_PREFIX } from "../src/executor/incus/warm-pool.js";
import { createIncusExecutor } from "../src/executor/incus-executor.js";
import { createIncusClient } from "../src/incus/client.js";
import { buildSnapshot } from "../src/snapshot/build.js";
import { connectSsh } from "../src/ssh/ssh-transport.js";
import type { Transport } from "../src/transport/transport.js";
import { loadTestHost } from "../test/e2e/helpers/test-host.js";
import { failOnMissedTargets, median, printTable, type Row, writeResults } from "./lib/stats.js";

const REPEAT = Number(process.env.PIKACI_BENCH_REPEAT ?? 5);
const SLEEP_REPEAT = Math.max(1, Math.min(REPEAT, 3));
const REMOTE_WORK_DIR = "/var/tmp/pikaci-bench-pool";
const list = (values: number[]) => `[${values.map((v) => v.toFixed(0)).join(", ")}]`;

async function main(): Promise<void> {
  const host = loadTestHost();
  if (!host) {
    console.error(
      "warm-pool bench: no test host (.test-host/host.env); run `bash test/host/setup.sh` first.",
    );
    process.exit(2);
  }
  const image = process.env.PIKACI_BENCH_IMAGE ?? host.image;
  const transport = await connectSsh({
    url: `ssh://${host.sshUser}@${host.sshHost}:${host.sshPort}`,
    privateKey: readFileSync(host.sshKey),
    knownHosts: readFileSync(host.knownHostsFile, "utf8"),
  });
  const pool = (await transport.exec(["incus", "profile", "device", "get", "default", "root", "pool"])).stdout
    .toString()
    .trim();
  const workspace = await mkdtemp(join(tmpdir(), "pikaci-bench-pool-"));
  let counter = 0;
  try {
    for (let i = 0; i < 20; i++) await writeFile(join(workspace, `file-${i}.txt`), `content ${i}\n`);
    const built = await buildSnapshot({ root: workspace, cacheFile: null });
    const job = (command: string): JobSpec => ({
      run_id: `20260101T000000Z-${(0x10000000 + (process.pid % 0xffff) * 4096 + counter++).toString(16).slice(-8)}`,
      lane_id: "bench",
      description: "bench",
      attempt: 1,
      snapshot: built,
      job_dir: workspace,
      execute: {
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
      },
    });
    /** job start → verdict, and → first guest output. */
    const lane = async (executor: Executor, command = "echo go") => {
      let first = 0;
      const t0 = performance.now();
      const phases = new Map<string, { from: number; to: number }>();
      const outcome = await executor.runJob(
        job(command),
        {
          phase: (name, state) => {
            const at = performance.now() - t0;
            if (state === "started") phases.set(name, { from: at, to: at });
            else if (phases.has(name)) phases.get(name)!.to = at;
          },
          log: (stream) => {
            if (stream === "guest" && first === 0) first = performance.now() - t0;
          },
        },
        new AbortController().signal,
      );
      const verdict = performance.now() - t0;
      if (outcome.status !== "passed") throw new Error(`bench lane failed: ${outcome.message}`);
      return {
        verdict,
        first,
        phases,
        claimed: outcome.instance_name?.startsWith("pikaci-pool-") ?? false,
      };
    };
    const floor = async (i: number) => {
      const name = `pikaci-floor-${process.pid}-${i}`;
      const script =
        'incus launch "$1" "$2" >/dev/null 2>&1 && incus exec "$2" -- true && incus delete -f "$2"';
      const t0 = performance.now();
      const result = await transport.exec(["sh", "-c", script, "floor", image, name]);
      if (result.code !== 0) throw new Error(`floor failed: ${result.stderr}`);
      return performance.now() - t0;
    };

    const cold = createIncusExecutor({ transport, remoteWorkDir: REMOTE_WORK_DIR });
    const warm = createIncusExecutor({ transport, remoteWorkDir: REMOTE_WORK_DIR, warmPool: 8 });
    console.log(
      `image ${image}, storage pool ${pool}, load average ${loadavg()
        .map((l) => l.toFixed(2))
        .join(" ")}`,
    );
    await floor(-1);
    await lane(cold);
    await cold.drain!();
    await lane(warm); // fills the pool
    await warm.drain!();

    const floors: number[] = [];
    const colds: number[] = [];
    const warms: number[] = [];
    const firsts: number[] = [];
    const warmPhases: Map<string, { from: number; to: number }>[] = [];
    let unclaimed = 0;
    for (let i = 0; i < REPEAT; i++) {
      floors.push(await floor(i));
      colds.push((await lane(cold)).verdict);
      await cold.drain!();
      const w = await lane(warm);
      if (!w.claimed) unclaimed++;
      warms.push(w.verdict);
      firsts.push(w.first);
      warmPhases.push(w.phases);
      await warm.drain!();
    }
    const ones: number[] = [];
    const eights: number[] = [];
    for (let i = 0; i < SLEEP_REPEAT; i++) {
      let t0 = performance.now();
      await lane(warm, "sleep 5");
      ones.push(performance.now() - t0);
      await warm.drain!();
      t0 = performance.now();
      await Promise.all(Array.from({ length: 8 }, () => lane(warm, "sleep 5")));
      eights.push(performance.now() - t0);
      await warm.drain!();
    }
    const f = median(floors);
    console.log(`floor ${list(floors)}\ncold verdict ${list(colds)}\nwarm verdict ${list(warms)}`);
    console.log(`warm first output ${list(firsts)}\n1 sleep ${list(ones)}\n8 sleeps ${list(eights)}`);
    printPhases(warmPhases);
    if (unclaimed > 0) console.log(`note: ${unclaimed} warm job(s) found the pool empty and launched cold`);
    const rows: Row[] = [
      { name: "floor: launch + exec + delete", value: f },
      ratioRow("cold: job start → verdict", median(colds), f, 1.1),
      ratioRow("warm: job start → verdict", median(warms), f, 0.5),
      {
        name: "warm: job start → first guest output",
        value: median(firsts),
        target: "≤ 150 ms",
        met: median(firsts) <= 150,
      },
      {
        name: "warm: 8 parallel sleep-5 lanes",
        value: median(eights),
        baseline: `1 lane ${median(ones).toFixed(0)} ms`,
        ratio: median(eights) / median(ones),
        ratioMeaning: "of 1 lane",
        target: "≤ 1.3x",
        met: median(eights) / median(ones) <= 1.3,
      },
    ];
    printTable(`warm pool and verdict before clean-up (${image}, pool ${pool})`, rows);
    console.log(
      `load average after: ${loadavg()
        .map((l) => l.toFixed(2))
        .join(" ")}`,
    );
    writeResults("warm-pool", { image, pool, floors, colds, warms, firsts, ones, eights, rows });
    failOnMissedTargets(rows);
  } finally {
    await transport.exec(["rm", "-rf", REMOTE_WORK_DIR]).catch(() => {});
    // A real build host keeps its members for the next run; this shared test host gets them back.
    await removeMembers(transport, image).catch(() => {});
    await rm(workspace, { recursive: true, force: true });
    await transport.close();
  }
}

/** Where a warm job's time went: each phase's median start and end, in ms from job start. */
function printPhases(runs: Map<string, { from: number; to: number }>[]): void {
  const names = [...new Set(runs.flatMap((r) => [...r.keys()]))];
  console.log("warm phases (median ms from job start: start → end, duration)");
  for (const name of names) {
    const spans = runs.flatMap((r) => (r.has(name) ? [r.get(name)!] : []));
    const from = median(spans.map((s) => s.from));
    const to = median(spans.map((s) => s.to));
    const took = spans.map((s) => s.to - s.from);
    console.log(
      `  ${name.padEnd(20)} ${from.toFixed(0)} → ${to.toFixed(0)}  (${median(took).toFixed(0)} ms, ${list(took)})`,
    );
  }
}

async function removeMembers(transport: Transport, image: string): Promise<void> {
  const incus = createIncusClient({ transport });
  const fingerprint = await incus.imageFingerprint(image);
  if (fingerprint === null) return;
  for (const member of await incus.list(`${POOL_PREFIX}${fingerprint.slice(0, 12)}-`))
    await incus.delete(member.name);
}

function ratioRow(name: string, value: number, floor: number, target: number): Row {
  return {
    name,
    value,
    baseline: `floor ${floor.toFixed(0)} ms`,
    ratio: value / floor,
    ratioMeaning: "of the floor",
    target: `≤ ${target}x`,
    met: value / floor <= target,
  };
}

await main();
