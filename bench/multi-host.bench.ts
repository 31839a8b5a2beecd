/**
 * Several build hosts (issue 13): 16 lanes of `sleep 5` on 2 hosts with capacity 4 each, against the
 * same 16 lanes on 1 host with capacity 4. Each measurement is the wall time of a whole
 * `pikaci run` (the CLI as a user runs it, `--host URL?capacity=4` once or twice); median of
 * PIKACI_BENCH_REPEAT pairs (default 3), after one warm-up of each. Target: 2 hosts ≤ 0.6× 1 host.
 *
 * Uses test hosts 1 and 2 of `bash test/host/setup.sh` (two incusd side by side, two sshd; see
 * docs/incus-notes.md) with the busybox image, in an Incus project of the bench's own on each host
 * so other runs on the machine do not count as load in the placement's live probe.
 * Run: npx tsx bench/multi-host.bench.ts
 */
import { spawn } from "node:child_process";
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { RunRecord } from "../src/schema/index.js";
import { BIN, createSandbox, destroySandbox, type Sandbox } from "../test/e2e/helpers/cli-incus.js";
import type { TestHost } from "../test/e2e/helpers/test-host.js";
import { testHost2 } from "../test/e2e/helpers/test-host2.js";
import { CANNOT_MEASURE, testHostOrExit } from "./lib/test-host.js";

const REPEAT = Number(process.env.PIKACI_BENCH_REPEAT ?? 3);
const LANES = 16;
const CAPACITY = 4;
const TARGET = 0.6;

// run_as_root: the busybox image cannot drop privileges to the lane user (no setpriv/chpst).
const config = (image: string) =>
  [
    "version: 1",
    "defaults:",
    `  image: ${image}`,
    "  run_as_root: true",
    "  timeout: 120s",
    "  infra_retries: 0",
    "lanes:",
    ...Array.from({ length: LANES }, (_, i) => `  - id: sleep-${i + 1}\n    command: sleep 5`),
    "",
  ].join("\n");

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
const fmt = (ms: number) => `${(ms / 1000).toFixed(2)}s`;

function runCli(args: string[], cwd: string): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], {
      cwd,
      env: { PATH: process.env.PATH, HOME: process.env.HOME },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let output = "";
    child.stdout.on("data", (chunk) => {
      output += chunk;
    });
    child.stderr.on("data", (chunk) => {
      output += chunk;
    });
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, output }));
  });
}

interface Bench {
  repo: string;
  state: string;
  sandbox: Sandbox;
  hosts: TestHost[];
}

/** One `pikaci run` of the 16 lanes on the first `hostCount` hosts; its wall time, checked. */
async function measure(b: Bench, hostCount: 1 | 2): Promise<number> {
  const hosts = b.hosts.slice(0, hostCount);
  const args = ["run", "--ssh-key", hosts[0]!.sshKey, "--state-root", b.state];
  for (const h of hosts) {
    args.push("--host", `ssh://${h.sshUser}@${h.sshHost}:${h.sshPort}?capacity=${CAPACITY}`);
    args.push("--known-hosts", h.knownHostsFile);
  }
  args.push("--incus-project", b.sandbox.project, "--remote-work-dir", b.sandbox.remoteWorkDir);
  const before = new Set(await readdir(join(b.state, "runs")).catch(() => []));
  const t0 = performance.now();
  const result = await runCli(args, b.repo);
  const ms = performance.now() - t0;
  const runId = (await readdir(join(b.state, "runs"))).find((id) => !before.has(id));
  if (result.code !== 0 || runId === undefined) throw new Error(`pikaci run failed:\n${result.output}`);
  const run = RunRecord.parse(JSON.parse(await readFile(join(b.state, "runs", runId, "run.json"), "utf8")));
  const used = new Set(run.jobs.map((job) => job.host));
  if (run.jobs.length !== LANES || used.size !== hostCount)
    throw new Error(
      `run ${runId}: ${run.jobs.length} lanes on ${used.size} host(s), expected ${LANES} on ${hostCount}`,
    );
  return ms;
}

async function main(): Promise<void> {
  const why = "Its target is about placing lanes on two real build hosts.";
  const host = testHostOrExit("multi-host", why);
  let host2: TestHost;
  try {
    host2 = testHost2(host);
  } catch (error) {
    console.error(`multi-host bench: cannot measure: ${(error as Error).message}. ${why}`);
    process.exit(CANNOT_MEASURE);
  }
  const base = await mkdtemp(join(tmpdir(), "pikaci-bench-multihost-"));
  const sandbox: Sandbox = {
    project: `pikaci-bench-mh-${process.pid.toString(36)}`,
    remoteWorkDir: `/var/tmp/pikaci-e2e-bench-mh-${process.pid.toString(36)}`,
  };
  const b: Bench = { repo: join(base, "repo"), state: join(base, "state"), sandbox, hosts: [host, host2] };
  try {
    await mkdir(join(b.repo, ".github"), { recursive: true });
    await writeFile(join(b.repo, ".github/pikaci.yml"), config(host.image));
    for (const h of b.hosts) await createSandbox(h, sandbox);
    console.log(
      `hosts: ${b.hosts.map((h) => `127.0.0.1:${h.sshPort}`).join(", ")}; ${LANES} lanes of sleep 5`,
    );
    await measure(b, 1); // warm-up: snapshot sync and image unpacking on each host
    await measure(b, 2);
    const one: number[] = [];
    const two: number[] = [];
    for (let i = 0; i < REPEAT; i++) {
      one.push(await measure(b, 1));
      two.push(await measure(b, 2));
    }
    const ratio = median(two) / median(one);
    console.log(
      `1 host,  capacity ${CAPACITY}:        median ${fmt(median(one))}  (${one.map(fmt).join(", ")})`,
    );
    console.log(
      `2 hosts, capacity ${CAPACITY} each:   median ${fmt(median(two))}  (${two.map(fmt).join(", ")})`,
    );
    console.log(`ratio ${ratio.toFixed(2)}x (target <= ${TARGET}x): ${ratio <= TARGET ? "PASS" : "FAIL"}`);
    process.exitCode = ratio <= TARGET ? 0 : 1;
  } finally {
    for (const h of b.hosts) await destroySandbox(h, sandbox).catch(() => {});
    await rm(base, { recursive: true, force: true });
  }
}

await main();
