/**
 * Hashing: cold snapshot hash vs `sha256sum` over the same files (both from a warm page cache,
 * interleaved), vs `nix-hash --type sha256` when installed, and warm re-hash (digest cache) vs cold.
 * PIKACI_BENCH_FILES (default 20000), PIKACI_BENCH_RUNS (default 5).
 *   npx tsx bench/hash.bench.ts
 */
import { execFileSync, spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { buildSnapshot } from "../src/snapshot/index.js";
import { median, printTable, type Row, timeIt, writeResults } from "./lib/stats.js";
import { makeBenchTree } from "./lib/tree.js";

const files = Number(process.env.PIKACI_BENCH_FILES ?? 20_000);
const runs = Number(process.env.PIKACI_BENCH_RUNS ?? 5);
const work = mkdtempSync(join(tmpdir(), "pikaci-bench-hash-"));
const root = join(work, "tree");
const cacheFile = join(work, "digests.json");

try {
  const bytes = makeBenchTree(root, files);
  console.log(`tree: ${files} files, ${(bytes / 1e6).toFixed(0)} MB in ${root}`);
  // The digest cache only trusts files older than 2 s (racy-git guard).
  await new Promise((r) => setTimeout(r, 2100));
  const listFile = join(work, "list0");
  const snap = await buildSnapshot({ root, cacheFile: null });
  writeFileSync(listFile, snap.entries.flatMap((e) => (e.type === "file" ? [`${e.path}\0`] : [])).join(""));
  const sha256sum = () =>
    timeIt(async () => {
      execFileSync("sh", ["-c", 'xargs -0 sha256sum < "$1" > /dev/null', "sh", listFile], { cwd: root });
    });
  const hasNixHash = spawnSync("sh", ["-c", "command -v nix-hash"]).status === 0;
  if (!hasNixHash) console.log("nix-hash not installed: skipping that baseline (Debian package nix-bin)");

  await buildSnapshot({ root, cacheFile }); // prime the digest cache
  const cold: number[] = [];
  const base: number[] = [];
  const nix: number[] = [];
  const warm: number[] = [];
  // Interleaved, so a noisy neighbour slows every measure alike.
  for (let i = 0; i < runs; i++) {
    cold.push(await timeIt(() => buildSnapshot({ root, cacheFile: null })));
    base.push(await sha256sum());
    if (hasNixHash) nix.push(await timeIt(async () => execFileSync("nix-hash", ["--type", "sha256", root])));
    warm.push(
      await timeIt(async () => {
        const s = await buildSnapshot({ root, cacheFile });
        if (s.cacheHits !== snap.files) throw new Error(`expected all cache hits, got ${s.cacheHits}`);
      }),
    );
  }

  const mb = (ms: number) => bytes / 1e6 / (ms / 1000);
  const rows: Row[] = [
    { name: "sha256sum (xargs)", value: median(base), baseline: "-" },
    {
      name: "pikaci cold hash",
      value: median(cold),
      baseline: "sha256sum",
      ratio: mb(median(cold)) / mb(median(base)),
      ratioMeaning: "throughput",
      target: ">= 0.8x",
    },
  ];
  if (hasNixHash) {
    rows.push({
      name: "pikaci cold vs nix-hash",
      value: median(cold),
      baseline: `nix-hash ${median(nix).toFixed(0)} ms`,
      ratio: mb(median(cold)) / mb(median(nix)),
      ratioMeaning: "throughput",
    });
  }
  rows.push({
    name: `pikaci warm re-hash (${files} unchanged)`,
    value: median(warm),
    baseline: "pikaci cold",
    ratio: median(warm) / median(cold),
    ratioMeaning: "of cold time",
    target: "< 0.1x",
  });
  printTable(`hash bench: ${files} files, ${(bytes / 1e6).toFixed(0)} MB, median of ${runs}`, rows);
  console.log(
    `pikaci cold ${mb(median(cold)).toFixed(0)} MB/s, sha256sum ${mb(median(base)).toFixed(0)} MB/s`,
  );
  const out = writeResults("hash", { files, bytes, runs, cold, sha256sum: base, nix_hash: nix, warm, rows });
  console.log(`results: ${out}`);
} finally {
  rmSync(work, { recursive: true, force: true });
}
