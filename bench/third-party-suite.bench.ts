/**
 * A real third-party test suite (urchin's own, from npm; see test/e2e/helpers/third-party-suite.ts)
 * as a pikaci lane on the Debian image, against the same command under a plain `incus exec` in a
 * fresh instance of the same image:
 *   lane  = the lane's wait_for_completion phase (the command in the guest runner, over ssh)
 *   plain = the `incus exec … bash -c COMMAND` alone (launch and file push not counted)
 * Also prints the whole lane (CLI start to exit). Medians of PIKACI_BENCH_REPEAT (default 5) after one
 * warm-up each. Target: lane/plain ≤ 1.15×. Exits 1 on a miss or when the pass/fail counts differ.
 *
 *   PIKACI_TEST_HOST_DIR=… npx tsx bench/third-party-suite.bench.ts
 */
import { spawn } from "node:child_process";
import { mkdtemp, readdir, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { RunRecord } from "../src/schema/index.js";
import {
  fetchSuite,
  parseCounts,
  prepareWorkspace,
  runPlain,
  type SuiteCounts,
} from "../test/e2e/helpers/third-party-suite.js";
import { median, printTable, writeResults } from "./lib/stats.js";
import { testHostOrExit } from "./lib/test-host.js";

const ROOT = resolve(import.meta.dirname, "..");
const REPEAT = Number(process.env.PIKACI_BENCH_REPEAT ?? 5);
const TARGET = 1.15;

async function runLane(
  workspace: string,
  flags: string[],
): Promise<{ waitMs: number; wallMs: number; counts: SuiteCounts | null }> {
  const state = await mkdtemp(join(tmpdir(), "pikaci-bench-suite-state-"));
  try {
    const t0 = performance.now();
    const child = spawn(
      process.execPath,
      [join(ROOT, "bin/pikaci.js"), "run", ...flags, "--state-root", state],
      {
        cwd: workspace,
        env: { PATH: process.env.PATH, HOME: process.env.HOME },
        stdio: "ignore",
      },
    );
    await new Promise((done) => child.on("close", done));
    const wallMs = performance.now() - t0;
    const [runId] = await readdir(join(state, "runs"));
    const run = RunRecord.parse(JSON.parse(await readFile(join(state, "runs", runId!, "run.json"), "utf8")));
    const job = run.jobs[0]!;
    const wait = job.phases.find((p) => p.phase === "wait_for_completion");
    if (!wait?.duration_ms) throw new Error(`lane did not run: ${job.status} ${job.message}`);
    const counts = parseCounts(await readFile(job.guest_log_path!, "utf8"));
    return { waitMs: wait.duration_ms, wallMs, counts };
  } finally {
    await rm(state, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  const host = testHostOrExit(
    "third-party-suite",
    "Its target compares a lane with plain `incus exec` on that host.",
  );
  const image = host.imageDebian;
  const base = await mkdtemp(join(tmpdir(), "pikaci-bench-suite-"));
  const remoteWorkDir = `/var/tmp/pikaci-bench-suite-${process.pid}`;
  const flags = [
    "--host",
    `ssh://${host.sshUser}@${host.sshHost}:${host.sshPort}`,
    "--ssh-key",
    host.sshKey,
    "--known-hosts",
    host.knownHostsFile,
    "--remote-work-dir",
    remoteWorkDir,
  ];
  try {
    const workspace = join(base, "repo");
    await prepareWorkspace({ dir: workspace, suiteDir: await fetchSuite(ROOT), image });
    const lane: Array<Awaited<ReturnType<typeof runLane>>> = [];
    const plain: Array<Awaited<ReturnType<typeof runPlain>>> = [];
    for (let i = 0; i <= REPEAT; i++) {
      const l = await runLane(workspace, flags);
      const p = await runPlain({ name: `pikaci-bench-suite-${process.pid}`, image, workspace });
      if (i === 0) continue; // warm-up
      lane.push(l);
      plain.push(p);
    }
    const laneMs = median(lane.map((l) => l.waitMs));
    const plainMs = median(plain.map((p) => p.ms));
    const wallMs = median(lane.map((l) => l.wallMs));
    const ratio = laneMs / plainMs;
    const laneCounts = lane.map((l) => JSON.stringify(l.counts));
    const plainCounts = plain.map((p) => JSON.stringify(parseCounts(p.output)));
    printTable(`Third-party suite (urchin's own tests), ${REPEAT} runs each, Debian image`, [
      {
        name: "lane: wait_for_completion",
        value: laneMs,
        baseline: `plain incus exec ${plainMs.toFixed(0)} ms`,
        ratio,
        ratioMeaning: "lane/plain",
        target: `≤ ${TARGET}x`,
        met: ratio <= TARGET,
      },
      { name: "lane: whole CLI run (launch, sync, delete)", value: wallMs },
    ]);
    console.log(
      `counts: lane ${[...new Set(laneCounts)].join(" ")}; plain ${[...new Set(plainCounts)].join(" ")}`,
    );
    console.log(
      `results: ${writeResults("third-party-suite", { laneMs, plainMs, ratio, wallMs, lane, plain: plain.map(({ ms, code }) => ({ ms, code })), laneCounts, plainCounts })}`,
    );
    const misses: string[] = [];
    if (ratio > TARGET) misses.push(`lane/plain ${ratio.toFixed(3)}x > ${TARGET}x`);
    if (new Set([...laneCounts, ...plainCounts]).size !== 1) misses.push("pass/fail counts differ");
    if (misses.length > 0) {
      console.error(`MISSED TARGETS: ${misses.join("; ")}`);
      process.exitCode = 1;
    }
  } finally {
    await rm(base, { recursive: true, force: true });
    spawn(
      "ssh",
      [
        "-i",
        host.sshKey,
        "-p",
        String(host.sshPort),
        "-o",
        "BatchMode=yes",
        "-o",
        `UserKnownHostsFile=${host.knownHostsFile}`,
        `${host.sshUser}@${host.sshHost}`,
        `rm -rf ${remoteWorkDir}`,
      ],
      { stdio: "ignore" },
    );
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
