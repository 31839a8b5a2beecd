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
import { existsSync, readFileSync } from "node:fs";
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

const ROOT = resolve(import.meta.dirname, "..");
const REPEAT = Number(process.env.PIKACI_BENCH_REPEAT ?? 5);
const TARGET = 1.15;

function hostEnv(): Record<string, string> {
  const file = join(process.env.PIKACI_TEST_HOST_DIR ?? join(ROOT, ".test-host"), "host.env");
  if (!existsSync(file)) throw new Error("no host.env: run `bash test/host/setup.sh` (PIKACI_TEST_HOST_DIR)");
  const vars: Record<string, string> = {};
  for (const line of readFileSync(file, "utf8").split("\n")) {
    const match = /^([A-Z0-9_]+)=(.*)$/.exec(line.trim());
    if (match) vars[match[1]!] = match[2]!;
  }
  return vars;
}

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
  const host = hostEnv();
  const image = host.PIKACI_TEST_IMAGE_DEBIAN!;
  const base = await mkdtemp(join(tmpdir(), "pikaci-bench-suite-"));
  const remoteWorkDir = `/var/tmp/pikaci-bench-suite-${process.pid}`;
  const flags = [
    "--host",
    `ssh://${host.PIKACI_TEST_SSH_USER}@${host.PIKACI_TEST_SSH_HOST}:${host.PIKACI_TEST_SSH_PORT}`,
    "--ssh-key",
    host.PIKACI_TEST_SSH_KEY!,
    "--known-hosts",
    host.PIKACI_TEST_KNOWN_HOSTS_FILE!,
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
        host.PIKACI_TEST_SSH_KEY!,
        "-p",
        host.PIKACI_TEST_SSH_PORT!,
        "-o",
        "BatchMode=yes",
        "-o",
        `UserKnownHostsFile=${host.PIKACI_TEST_KNOWN_HOSTS_FILE}`,
        `${host.PIKACI_TEST_SSH_USER}@${host.PIKACI_TEST_SSH_HOST}`,
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
