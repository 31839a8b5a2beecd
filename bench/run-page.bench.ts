/**
 * How fast the run page's first response is for a run with 10 lanes and 5 MB of logs (host + guest
 * logs of 256 KB per lane), through the real handler over HTTP: store reads (tails only) + render.
 * Median of PIKACI_BENCH_REPEAT (default 20) after two warm-ups; target < 200 ms. Also prints the same
 * for a 1-lane run and the ratio, the page size, and that only the tails were inlined.
 *
 * Run: npx tsx bench/run-page.bench.ts
 */
import { mkdtemp, rm } from "node:fs/promises";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { signRunUrl } from "../src/pages/capability.js";
import { createRunPagesHandler } from "../src/pages/handler.js";
import { createStateStore, type StateStore } from "../src/store/index.js";
import { sampleLog, sampleRun } from "../test/unit/pages/fixtures.js";

const REPEAT = Number(process.env.PIKACI_BENCH_REPEAT ?? 20);
const TARGET_MS = 200;
const SECRET = "bench-secret";
const LOG_BYTES_PER_FILE = (5 * 1024 * 1024) / 20;
const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

async function seed(store: StateStore, lanes: number, runId: string): Promise<number> {
  const run = { ...sampleRun(lanes), run_id: runId };
  await store.writeRun(run);
  let bytes = 0;
  for (const job of run.jobs) {
    for (const kind of ["guest", "host"] as const) {
      const text = sampleLog(LOG_BYTES_PER_FILE, `${job.lane_id}-${kind}`);
      bytes += Buffer.byteLength(text);
      await store.appendLog(runId, job.lane_id, kind, text);
    }
  }
  return bytes;
}

async function measure(base: string, runId: string): Promise<{ ms: number; bytes: number; body: string }> {
  const url = signRunUrl({ baseUrl: base, runId, secret: SECRET });
  const times: number[] = [];
  let body = "";
  for (let i = 0; i < REPEAT + 2; i++) {
    const started = performance.now();
    const res = await fetch(url);
    body = await res.text();
    if (res.status !== 200) throw new Error(`run page answered ${res.status}`);
    if (i >= 2) times.push(performance.now() - started);
  }
  return { ms: median(times), bytes: Buffer.byteLength(body), body };
}

async function main(): Promise<void> {
  const root = await mkdtemp(join(tmpdir(), "pikaci-bench-pages-"));
  const store = createStateStore({ root });
  const handler = createRunPagesHandler({ store, secret: SECRET });
  const server = createServer(async (req, res) => {
    if (!(await handler(req, res))) res.writeHead(404).end();
  });
  try {
    const bigId = "20260324T162238Z-0000000a";
    const smallId = "20260324T162238Z-00000001";
    const bigLogBytes = await seed(store, 10, bigId);
    await seed(store, 1, smallId);
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

    const big = await measure(base, bigId);
    const small = await measure(base, smallId);
    const tailsOnly = !big.body.includes("step 1: running") && big.body.includes("finished</span>");
    console.log(
      `run page, 10 lanes, ${(bigLogBytes / 1048576).toFixed(1)} MB of logs: median ${big.ms.toFixed(1)} ms over ${REPEAT} (target < ${TARGET_MS} ms), page ${(big.bytes / 1024).toFixed(0)} KB, tails only: ${tailsOnly}`,
    );
    console.log(
      `run page, 1 lane: median ${small.ms.toFixed(1)} ms, page ${(small.bytes / 1024).toFixed(0)} KB`,
    );
    console.log(`ratio 10 lanes / 1 lane: ${(big.ms / small.ms).toFixed(2)}x`);
    if (big.ms >= TARGET_MS || !tailsOnly) process.exitCode = 1;
  } finally {
    server.close();
    await rm(root, { recursive: true, force: true });
  }
}

await main();
