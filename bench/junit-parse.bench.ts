/**
 * Parsing a 50 MB JUnit report: time and peak memory, each measured in a fresh child process so
 * the peak RSS is the parse's own. Baseline: the same child only streams the file's bytes (the I/O
 * and runtime floor), printed side by side with the ratio.
 *
 * A second baseline runs `sax` over the file with empty element/text handlers: the parser's own floor.
 *
 * Targets (exit 1 when missed): parse time ≤ 2 × the sax floor (pikaci's reading, capping, locating
 * and folding cost at most as much again as the XML tokenising) and < 30 s; parse peak RSS at most 100 MB
 * above the read baseline (memory must not grow with the report: cases are folded in as they stream).
 *
 * Run: npx tsx bench/junit-parse.bench.ts   PIKACI_BENCH_MB (50), PIKACI_BENCH_RUNS (3)
 */
import { spawnSync } from "node:child_process";
import { once } from "node:events";
import { createReadStream, createWriteStream } from "node:fs";
import { mkdtemp, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";

const MB = Number(process.env.PIKACI_BENCH_MB ?? 50);
const RUNS = Number(process.env.PIKACI_BENCH_RUNS ?? 3);

async function child(mode: string, file: string): Promise<void> {
  const started = performance.now();
  let detail = "";
  if (mode === "sax") {
    const sax = (await import("sax")).default;
    const parser = sax.parser(true, {});
    // Empty handlers: the floor for any reader that needs the elements, attributes and texts.
    parser.onopentag = () => {};
    parser.ontext = () => {};
    parser.oncdata = () => {};
    parser.onclosetag = () => {};
    for await (const chunk of createReadStream(file, { encoding: "utf8", highWaterMark: 64 * 1024 }))
      parser.write(chunk as string);
    parser.close();
    detail = "bare sax";
  } else if (mode === "read") {
    let bytes = 0;
    for await (const chunk of createReadStream(file, { encoding: "utf8", highWaterMark: 64 * 1024 }))
      bytes += chunk.length;
    detail = `${bytes} chars`;
  } else {
    const { readLaneReports } = await import("../src/tests/read-reports.js");
    const r = await readLaneReports({
      files: [{ path: file, name: "big.xml" }],
      roots: { repoRoot: "/repo" },
    });
    detail = `${r.counts.total} cases, ${r.counts.failed} failed, warnings ${JSON.stringify(r.warnings)}`;
  }
  const ms = performance.now() - started;
  process.stdout.write(`${JSON.stringify({ ms, maxRssKb: process.resourceUsage().maxRSS, detail })}\n`);
}

async function writeReport(file: string, bytes: number): Promise<number> {
  const out = createWriteStream(file);
  out.write('<?xml version="1.0" encoding="UTF-8"?>\n<testsuites name="bench">\n');
  let written = 0;
  let i = 0;
  while (written < bytes) {
    const suite = [`<testsuite name="suite-${i}" tests="100">`];
    for (let j = 0; j < 100; j++, i++) {
      if (i % 50 === 0) {
        suite.push(
          `<testcase classname="pkg.Mod${i}" name="case ${i} &amp; more" time="0.${i % 1000}" file="src/mod${i % 97}.test.ts"><failure message="expected ${i} to be 0">AssertionError: expected ${i} to be 0\n    at src/mod${i % 97}.test.ts:${(i % 300) + 1}:7\n${"    at node_modules/lib/x.js:1:1\n".repeat(20)}</failure><system-out><![CDATA[${"log line\n".repeat(30)}]]></system-out></testcase>`,
        );
      } else {
        suite.push(
          `<testcase classname="pkg.Mod${i}" name="case ${i}" time="0.${i % 1000}" file="src/mod${i % 97}.test.ts"/>`,
        );
      }
    }
    suite.push("</testsuite>\n");
    const text = suite.join("\n");
    written += Buffer.byteLength(text);
    if (!out.write(text)) await once(out, "drain");
  }
  out.end("</testsuites>\n");
  await once(out, "finish");
  return i;
}

function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

function measure(mode: string, file: string): { ms: number; rssMb: number; detail: string } {
  const runs = Array.from({ length: RUNS }, () => {
    const res = spawnSync(
      process.execPath,
      [...process.execArgv, import.meta.filename, "--child", mode, file],
      {
        encoding: "utf8",
      },
    );
    if (res.status !== 0) throw new Error(`${mode} child failed: ${res.stderr}`);
    return JSON.parse(res.stdout.trim().split("\n").pop()!) as {
      ms: number;
      maxRssKb: number;
      detail: string;
    };
  });
  return {
    ms: median(runs.map((r) => r.ms)),
    rssMb: median(runs.map((r) => r.maxRssKb)) / 1024,
    detail: runs[0]!.detail,
  };
}

async function main(): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), "pikaci-bench-junit-"));
  try {
    const file = join(dir, "big.xml");
    const cases = await writeReport(file, MB * 1024 * 1024);
    const size = (await stat(file)).size;
    console.log(
      `report: ${(size / 1024 / 1024).toFixed(1)} MB, ${cases} test cases; ${RUNS} runs each, medians`,
    );
    const base = measure("read", file);
    const bare = measure("sax", file);
    const parse = measure("parse", file);
    console.log(`                 time      peak RSS`);
    console.log(
      `baseline (read)  ${base.ms.toFixed(0).padStart(6)} ms ${base.rssMb.toFixed(0).padStart(6)} MB`,
    );
    console.log(
      `sax (floor)      ${bare.ms.toFixed(0).padStart(6)} ms ${bare.rssMb.toFixed(0).padStart(6)} MB`,
    );
    console.log(
      `parse            ${parse.ms.toFixed(0).padStart(6)} ms ${parse.rssMb.toFixed(0).padStart(6)} MB   (${parse.detail})`,
    );
    console.log(
      `ratio            ${(parse.ms / bare.ms).toFixed(2).padStart(6)} x sax floor, ${(parse.ms / base.ms).toFixed(1)} x read; ${(parse.rssMb - base.rssMb).toFixed(0)} MB above the read baseline; ${(size / 1024 / 1024 / (parse.ms / 1000)).toFixed(1)} MB/s`,
    );
    const failures: string[] = [];
    if (parse.ms > 2 * bare.ms)
      failures.push(`parse is ${(parse.ms / bare.ms).toFixed(2)} x sax floor (target ≤ 2)`);
    if (parse.ms >= 30_000) failures.push(`parse took ${parse.ms.toFixed(0)} ms (target < 30000 ms)`);
    if (parse.rssMb - base.rssMb > 100)
      failures.push(
        `parse peak RSS ${(parse.rssMb - base.rssMb).toFixed(0)} MB above baseline (target ≤ 100 MB)`,
      );
    if (failures.length > 0) {
      console.error(`MISSED: ${failures.join("; ")}`);
      process.exitCode = 1;
    } else console.log("targets met");
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

const at = process.argv.indexOf("--child");
if (at !== -1) await child(process.argv[at + 1]!, process.argv[at + 2]!);
else await main();
