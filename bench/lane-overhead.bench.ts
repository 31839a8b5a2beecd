/**
 * Per-lane overhead of the Incus executor against the floor of what Incus and SSH cost anyway:
 *   floor  = one ssh command `incus launch IMAGE N && incus exec N -- true && incus delete -f N`
 *   pikaci = a whole `runJob` of a lane whose command is `true` (prepare dirs, sync check, launch with
 *            devices, guest runner, result.json, delete), over the same ssh2 connection.
 * Also prints job start → first guest output (the lane's `echo`), i.e. the wait before a lane starts.
 * Medians of PIKACI_BENCH_REPEAT (default 5) after one warm-up each. Target: ratio ≤ 1.3×.
 *
 * Needs the test host (host.env from test/host/setup.sh, found as the e2e tests find it; exits 2
 * without one). Exits 1 on a missed target.  Run: npx tsx bench/lane-overhead.bench.ts
 */
import { readFileSync } from "node:fs";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { JobSpec } from "../src/executor/executor.js";
import { createIncusExecutor } from "../src/executor/incus-executor.js";
import { buildSnapshot } from "../src/snapshot/build.js";
import { connectSsh } from "../src/ssh/ssh-transport.js";
import { testHostOrExit } from "./lib/test-host.js";

const REPEAT = Number(process.env.PIKACI_BENCH_REPEAT ?? 5);
const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

async function main(): Promise<void> {
  const host = testHostOrExit(
    "lane-overhead",
    "Its target compares the Incus executor with raw Incus on that host.",
  );
  const image = host.image;
  const transport = await connectSsh({
    url: `ssh://${host.sshUser}@${host.sshHost}:${host.sshPort}`,
    privateKey: readFileSync(host.sshKey),
    knownHosts: readFileSync(host.knownHostsFile, "utf8"),
  });
  const workspace = await mkdtemp(join(tmpdir(), "pikaci-bench-overhead-"));
  try {
    for (let i = 0; i < 20; i++) await writeFile(join(workspace, `file-${i}.txt`), `content ${i}\n`);
    const snapshot = await buildSnapshot({ root: workspace, cacheFile: null });
    const executor = createIncusExecutor({ transport, remoteWorkDir: "/var/tmp/pikaci-bench" });

    const floor = async (i: number) => {
      const name = `pikaci-floor-${process.pid}-${i}`;
      const t0 = performance.now();
      const script = 'incus launch "$1" "$2" >/dev/null && incus exec "$2" -- true && incus delete -f "$2"';
      const result = await transport.exec(["sh", "-c", script, "floor", image, name]);
      if (result.code !== 0) throw new Error(`floor failed: ${result.stderr}`);
      return performance.now() - t0;
    };
    const lane = async (i: number) => {
      const runId = `20260101T000000Z-${(0x10000000 + process.pid * 100 + i).toString(16).slice(-8)}`;
      const job: JobSpec = {
        run_id: runId,
        lane_id: "bench",
        description: "bench",
        attempt: 1,
        snapshot,
        job_dir: workspace,
        execute: {
          command: "echo go",
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
      };
      let firstOutput = 0;
      const t0 = performance.now();
      const outcome = await executor.runJob(
        job,
        {
          phase: () => {},
          log: (stream) => {
            if (stream === "guest" && firstOutput === 0) firstOutput = performance.now() - t0;
          },
        },
        new AbortController().signal,
      );
      const total = performance.now() - t0;
      if (outcome.status !== "passed") throw new Error(`bench lane failed: ${outcome.message}`);
      return { total, firstOutput, phases: outcome.phases };
    };

    await floor(-1);
    await lane(-1);
    const floors: number[] = [];
    const totals: number[] = [];
    const starts: number[] = [];
    let lastPhases: Awaited<ReturnType<typeof lane>>["phases"] = [];
    for (let i = 0; i < REPEAT; i++) {
      floors.push(await floor(i));
      const run = await lane(i);
      totals.push(run.total);
      starts.push(run.firstOutput);
      lastPhases = run.phases;
    }
    const f = median(floors);
    const t = median(totals);
    console.log(
      `floor  (launch + exec true + delete, one ssh command): median ${f.toFixed(0)} ms  [${floors.map((v) => v.toFixed(0)).join(", ")}]`,
    );
    console.log(
      `pikaci (whole job of an \`echo\` lane):                 median ${t.toFixed(0)} ms  [${totals.map((v) => v.toFixed(0)).join(", ")}]`,
    );
    console.log(
      `job start → first guest output:                        median ${median(starts).toFixed(0)} ms`,
    );
    console.log(
      `phases of the last run: ${lastPhases.map((p) => `${p.phase}=${p.duration_ms}ms`).join(" ")}`,
    );
    const met = t / f <= 1.3;
    console.log(`ratio pikaci/floor: ${(t / f).toFixed(2)}x (target ≤ 1.3x): ${met ? "PASS" : "FAIL"}`);
    if (!met) process.exitCode = 1;
  } finally {
    await rm(workspace, { recursive: true, force: true });
    await transport.close();
  }
}

await main();
