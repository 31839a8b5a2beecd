/**
 * pikaci's own `unit` lane on pikaci against the same tests run directly on this machine:
 *   direct = `npx vitest run --project unit` in a clean clone with node_modules prepared
 *   pikaci = `pikaci run --lane unit --host <test host>` on that clone (pikaci-debian-node image;
 *            its snapshot already synced, as on a second run)
 *   start  = `pikaci run` of a lane whose command is `true` on the same image and snapshot: the
 *            lane start overhead (launch, devices, guest runner, result, delete).
 * Target (issue 14): pikaci ≤ 1.15 × direct + start. Medians of PIKACI_BENCH_REPEAT (default 1,
 * each unit run takes minutes). The direct run uses this machine's Node; the lane uses the image's
 * Node 24. Also prints the bytes the first and the second `pikaci run` sent.
 *
 * Needs the test host (test/host/setup.sh).  Run: npx tsx bench/dogfood-unit.bench.ts
 */
import { spawn } from "node:child_process";
import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { dogfoodClone } from "../test/e2e/helpers/dogfood-clone.js";
import { REPO_ROOT } from "../test/e2e/helpers/test-host.js";
import { failOnMissedTargets, median, printTable, type Row, writeResults } from "./lib/stats.js";
import { testHostOrExit } from "./lib/test-host.js";

const REPEAT = Number(process.env.PIKACI_BENCH_REPEAT ?? 1);

function run(
  cmd: string,
  args: string[],
  cwd: string,
): Promise<{ ms: number; code: number | null; out: string }> {
  const start = performance.now();
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { cwd, stdio: ["ignore", "pipe", "pipe"], env: process.env });
    let out = "";
    child.stdout.on("data", (c) => {
      out += c;
    });
    child.stderr.on("data", (c) => {
      out += c;
    });
    child.on("error", reject);
    child.on("close", (code) => resolve({ ms: performance.now() - start, code, out }));
  });
}

function lastRunBytes(state: string): number {
  const id = readdirSync(join(state, "runs")).sort().at(-1)!;
  const record = JSON.parse(readFileSync(join(state, "runs", id, "run.json"), "utf8"));
  return record.jobs.reduce(
    (sum: number, j: { sync?: { bytes_sent?: number } }) => sum + (j.sync?.bytes_sent ?? 0),
    0,
  );
}

async function main(): Promise<void> {
  const host = testHostOrExit("dogfood-unit", "Its target is pikaci's own unit lane on the build host.");
  const base = await mkdtemp(join(tmpdir(), "pikaci-bench-dogfood-"));
  try {
    const repo = dogfoodClone(base);
    // A `true` lane beside the real ones, in a config of its own (the unit tests count the lanes of
    // .github/pikaci.yml), so both run against one snapshot.
    const config = join(repo, ".github/bench.yml");
    writeFileSync(
      config,
      `${readFileSync(join(repo, ".github/pikaci.yml"), "utf8")}  - id: noop\n    command: "true"\n`,
    );
    const state = join(base, "state");
    const pikaci = (lane: string) =>
      run(
        process.execPath,
        [
          join(REPO_ROOT, "bin/pikaci.js"),
          "run",
          "-c",
          config,
          "--lane",
          lane,
          "--host",
          `ssh://${host.sshUser}@${host.sshHost}:${host.sshPort}`,
          "--ssh-key",
          host.sshKey,
          "--known-hosts",
          host.knownHostsFile,
          "--state-root",
          state,
        ],
        repo,
      );
    // Exit 1 is a failed test (this loaded machine has timing-sensitive ones): still a measured run,
    // reported below; anything else means the run itself broke.
    const failures: string[] = [];
    const check = (what: string, r: { code: number | null; out: string }) => {
      if (r.code === 1) failures.push(`${what}: ${r.out.match(/FAIL .*$/gm)?.join("; ") ?? "exit 1"}`);
      else if (r.code !== 0) throw new Error(`${what} failed (exit ${r.code}):\n${r.out.slice(-3000)}`);
    };
    const cold = await pikaci("noop");
    check("pikaci run --lane noop", cold);
    const coldBytes = lastRunBytes(state);
    const starts: number[] = [];
    const directs: number[] = [];
    const lanes: number[] = [];
    let warmBytes = 0;
    for (let i = 0; i < REPEAT; i++) {
      const start = await pikaci("noop");
      check("pikaci run --lane noop", start);
      warmBytes = lastRunBytes(state);
      starts.push(start.ms);
      const direct = await run("npx", ["vitest", "run", "--project", "unit"], repo);
      check("npx vitest run --project unit", direct);
      directs.push(direct.ms);
      const lane = await pikaci("unit");
      check("pikaci run --lane unit", lane);
      lanes.push(lane.ms);
    }
    const d = median(directs);
    const s = median(starts);
    const l = median(lanes);
    const rows: Row[] = [
      { name: "direct: npx vitest run --project unit", value: d },
      { name: "lane start: pikaci run --lane noop (warm)", value: s },
      {
        name: "pikaci run --lane unit",
        value: l,
        baseline: "direct",
        ratio: l / d,
        ratioMeaning: "of direct",
        target: "<= 1.15 x direct + lane start",
        met: l <= 1.15 * d + s,
      },
      { name: "(pikaci unit - lane start) / direct", value: (l - s) / d, unit: "x" },
      { name: "bytes sent: first run (cold snapshot)", value: coldBytes, unit: "B" },
      {
        name: "bytes sent: second run (unchanged)",
        value: warmBytes,
        unit: "B",
        target: "0",
        met: warmBytes === 0,
      },
    ];
    printTable(`dogfood unit lane (${REPEAT} run(s) each)`, rows);
    for (const failure of failures) console.log(`test failures (measured anyway): ${failure}`);
    console.log(`results: ${writeResults("dogfood-unit", { directs, starts, lanes, coldBytes, warmBytes })}`);
    failOnMissedTargets(rows);
  } finally {
    await rm(base, { recursive: true, force: true });
  }
}

await main();
