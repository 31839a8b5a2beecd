/**
 * A lane that prints 2 GiB, through the real CLI (`node bin/pikaci.js run`), on the local executor
 * and on Incus (the test host, Debian image), beside a baseline lane that prints 1 MiB.
 * Reports the CLI process's peak resident memory (VmHWM from /proc/<pid>/status, polled until it
 * exits), the stored guest.log size and its recorded cut, and the lane's throughput.
 * Targets: peak RSS < 200 MB whatever the lane prints; stored log ≤ its log_limit (100 MiB default).
 * Exits 1 on a missed target.
 *
 *   npx tsx bench/lane-output.bench.ts          (PIKACI_BENCH_BYTES to change 2 GiB;
 *                                               PIKACI_BENCH_EXECUTORS=local to skip Incus)
 * Incus needs the test host: PIKACI_TEST_HOST_DIR (or .test-host/) with host.env from test/host/setup.sh.
 */
import { spawn, spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { DEFAULT_LOG_LIMIT_BYTES, type JobRecord, RunRecord } from "../src/schema/index.js";
import type { TestHost } from "../test/e2e/helpers/test-host.js";
import { printTable, type Row, writeResults } from "./lib/stats.js";
import { CANNOT_MEASURE, testHostOrExit } from "./lib/test-host.js";

const ROOT = resolve(import.meta.dirname, "..");
const BIN = join(ROOT, "bin/pikaci.js");
const BYTES = Number(process.env.PIKACI_BENCH_BYTES ?? 2 * 1024 ** 3);
const BASELINE_BYTES = 1024 * 1024;
const RSS_TARGET_MB = 200;
const EXECUTORS = (process.env.PIKACI_BENCH_EXECUTORS ?? "local,incus").split(",");

/** Peak resident set of a process (kB), read from /proc until it is gone. */
function watchPeak(pid: number): { stop: () => number } {
  let peak = 0;
  const read = () => {
    try {
      const status = readFileSync(`/proc/${pid}/status`, "utf8");
      const hwm = /^VmHWM:\s+(\d+) kB$/m.exec(status);
      if (hwm) peak = Math.max(peak, Number(hwm[1]));
    } catch {
      // Exited: the last reading stands.
    }
  };
  const timer = setInterval(read, 50);
  return {
    stop: () => {
      clearInterval(timer);
      return peak;
    },
  };
}

interface Measure {
  peakRssMb: number;
  seconds: number;
  job: JobRecord;
  storedBytes: number;
}

async function runLane(params: {
  bytes: number;
  flags: string[];
  image: string;
  label: string;
}): Promise<Measure> {
  const repo = await mkdtemp(join(tmpdir(), `pikaci-bench-output-${params.label}-`));
  try {
    await mkdir(join(repo, ".github"));
    // A command that prints lines, like a chatty test suite, until it has printed `bytes`.
    const command = `yes 'pikaci lane output benchmark: a line of a runaway log' | head -c ${params.bytes}`;
    await writeFile(
      join(repo, ".github/pikaci.yml"),
      `version: 1\nlanes:\n  - id: flood\n    image: ${params.image}\n    timeout: 1800\n    infra_retries: 0\n    command: ${JSON.stringify(command)}\n`,
    );
    const state = join(repo, "state");
    const t0 = performance.now();
    const child = spawn(process.execPath, [BIN, "run", ...params.flags, "--state-root", state], {
      cwd: repo,
      env: { PATH: process.env.PATH, HOME: process.env.HOME },
      stdio: ["ignore", "pipe", "pipe"],
    });
    const peak = watchPeak(child.pid!);
    let out = "";
    child.stdout.on("data", (c) => {
      out += c;
    });
    child.stderr.on("data", (c) => {
      out += c;
    });
    const code = await new Promise<number | null>((done) => child.on("close", done));
    const seconds = (performance.now() - t0) / 1000;
    const peakKb = peak.stop();
    if (code !== 0) throw new Error(`pikaci run (${params.label}) exited ${code}:\n${out.slice(-3000)}`);
    const [runId] = await readdir(join(state, "runs"));
    const run = RunRecord.parse(JSON.parse(await readFile(join(state, "runs", runId!, "run.json"), "utf8")));
    const job = run.jobs[0]!;
    const storedBytes = (await stat(job.guest_log_path!)).size;
    return { peakRssMb: peakKb / 1024, seconds, job, storedBytes };
  } finally {
    await rm(repo, { recursive: true, force: true });
  }
}

/** The run's remote work dir holds the runner's copy of the log (capped too): remove it. */
function removeRemoteWorkDir(host: TestHost): void {
  spawnSync("ssh", [
    "-i",
    host.sshKey,
    "-p",
    String(host.sshPort),
    "-o",
    "BatchMode=yes",
    "-o",
    `UserKnownHostsFile=${host.knownHostsFile}`,
    `${host.sshUser}@${host.sshHost}`,
    `rm -rf /var/tmp/pikaci-bench-output-${process.pid}`,
  ]);
}

async function main(): Promise<void> {
  const host = EXECUTORS.includes("incus")
    ? testHostOrExit(
        "lane-output",
        "Its Incus rows need the build host; PIKACI_BENCH_EXECUTORS=local measures only the local executor.",
      )
    : null;
  const setups: Array<{ label: string; flags: string[]; image: string }> = [];
  if (EXECUTORS.includes("local")) setups.push({ label: "local", flags: [], image: "pikaci-debian" });
  if (host) {
    setups.push({
      label: "incus",
      image: host.imageDebian,
      flags: [
        "--host",
        `ssh://${host.sshUser}@${host.sshHost}:${host.sshPort}`,
        "--ssh-key",
        host.sshKey,
        "--known-hosts",
        host.knownHostsFile,
        "--remote-work-dir",
        `/var/tmp/pikaci-bench-output-${process.pid}`,
      ],
    });
  }
  if (setups.length === 0) {
    console.error(
      `lane-output bench: cannot measure: PIKACI_BENCH_EXECUTORS=${EXECUTORS.join(",")} names neither local nor incus.`,
    );
    process.exit(CANNOT_MEASURE);
  }
  const rows: Row[] = [];
  const results: Record<string, unknown> = {};
  const misses: string[] = [];
  for (const setup of setups) {
    const base = await runLane({ ...setup, bytes: BASELINE_BYTES, label: `${setup.label}-base` });
    const big = await runLane({ ...setup, bytes: BYTES });
    const cut = big.job.log_truncation;
    rows.push(
      {
        name: `${setup.label}: CLI peak RSS, lane prints ${(BYTES / 1024 ** 3).toFixed(2)} GiB`,
        value: big.peakRssMb,
        unit: "MB",
        baseline: `${base.peakRssMb.toFixed(1)} MB (1 MiB lane)`,
        ratio: big.peakRssMb / base.peakRssMb,
        ratioMeaning: "of baseline",
        target: `< ${RSS_TARGET_MB} MB`,
        met: big.peakRssMb < RSS_TARGET_MB,
      },
      {
        name: `${setup.label}: stored guest.log`,
        value: big.storedBytes / 1024 ** 2,
        unit: "MiB",
        baseline: `${(BYTES / 1024 ** 2).toFixed(0)} MiB printed`,
        ratio: big.storedBytes / DEFAULT_LOG_LIMIT_BYTES,
        ratioMeaning: "of log_limit",
        target: "≤ 100 MiB",
        met: big.storedBytes <= DEFAULT_LOG_LIMIT_BYTES,
      },
      {
        name: `${setup.label}: lane throughput`,
        value: BYTES / 1024 ** 2 / big.seconds,
        unit: "MiB/s",
        baseline: `${big.seconds.toFixed(1)} s for the whole run`,
      },
    );
    results[setup.label] = { baseline: base, big };
    if (big.peakRssMb >= RSS_TARGET_MB)
      misses.push(`${setup.label}: peak RSS ${big.peakRssMb.toFixed(1)} MB`);
    if (big.storedBytes > DEFAULT_LOG_LIMIT_BYTES)
      misses.push(`${setup.label}: log ${big.storedBytes} bytes`);
    if (!cut || cut.total_bytes !== BYTES)
      misses.push(`${setup.label}: run.json log_truncation ${JSON.stringify(cut)} (expected total ${BYTES})`);
    if (cut) console.log(`${setup.label}: log_truncation ${JSON.stringify(cut)}`);
  }
  if (host) removeRemoteWorkDir(host);
  printTable("Lane output: CLI memory and stored log", rows);
  console.log(`results: ${writeResults("lane-output", results)}`);
  if (misses.length > 0) {
    console.error(`MISSED TARGETS:\n  ${misses.join("\n  ")}`);
    process.exit(1);
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
