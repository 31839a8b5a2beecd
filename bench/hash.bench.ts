/**
 * Hashing: cold snapshot hash vs `sha256sum` over the same files (both from a warm page cache,
 * interleaved), vs `nix-hash --type sha256` when installed, and warm re-hash (digest cache) vs cold.
 *
 * Warm re-hash is measured on two copies of the same tree: a git work tree (what pikaci hashes in
 * practice: a checkout) and a plain directory (every file lstat'ed by us). The git tree is measured
 * clean (a CI checkout: the tree memo answers, see docs/snapshot-hash.md §3) and with one untracked
 * file (no memo: the index supplies tracked files' stat data, git status names the changes). All
 * print their ratio; the < 0.1x target is the clean git work tree's.
 *
 * Two more anchors for the cold hash: `nix-hash --type sha256` over the same tree (target: pikaci's
 * throughput >= 1.0x nix-hash's; without nix-hash the row is refused and the run fails, because an
 * unmeasured target is not a met one: `bash scripts/check-nix.sh` installs Debian's nix-bin), and
 * the hardware limit, `openssl speed -seconds 1 sha256` at its largest block on one core, of which
 * pikaci's fraction is printed (pikaci hashes on every core, so it can pass 1.0x on two).
 *
 * Before/after in one run: PIKACI_BENCH_BEFORE=<another checkout> (e.g. `git worktree add /tmp/before
 * main`) loads that checkout's buildSnapshot and times its cold hash interleaved with this one's, so
 * a loaded machine slows both alike. The load average is printed at the start and the end.
 * PIKACI_BENCH_FILES (default 20000), PIKACI_BENCH_RUNS (default 7).
 *   npx tsx bench/hash.bench.ts
 */
import { execFileSync, spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { buildSnapshot } from "../src/snapshot/index.js";
import { failOnMissedTargets, median, printTable, type Row, timeIt, writeResults } from "./lib/stats.js";
import { makeBenchTree } from "./lib/tree.js";

const files = Number(process.env.PIKACI_BENCH_FILES ?? 20_000);
const runs = Number(process.env.PIKACI_BENCH_RUNS ?? 7);
const work = mkdtempSync(join(tmpdir(), "pikaci-bench-hash-"));
const root = join(work, "tree");
const cacheFile = join(work, "digests.bin");
const gitRoot = join(work, "git-tree");
const gitCacheFile = join(work, "git-digests.bin");
const dirtyCacheFile = join(work, "git-dirty-digests.bin");
const untracked = join(gitRoot, "bench-untracked.txt");
const beforeDir = process.env.PIKACI_BENCH_BEFORE;
const before: typeof buildSnapshot | null =
  beforeDir === undefined
    ? null
    : (await import(join(resolve(beforeDir), "src/snapshot/index.ts"))).buildSnapshot;
const load = () =>
  `load average ${loadavg()
    .map((l) => l.toFixed(2))
    .join(" ")}`;

try {
  const bytes = makeBenchTree(root, files);
  execFileSync("cp", ["-a", root, gitRoot]); // the same bytes: makeBenchTree draws from randomBytes
  const git = (...args: string[]) =>
    execFileSync("git", [
      "-C",
      gitRoot,
      "-c",
      "user.name=bench",
      "-c",
      "user.email=bench@localhost",
      // Committing 20k files would start a detached `git gc --auto` packing 489 MB while we measure
      // (and still writing into .git when the tree is removed).
      "-c",
      "gc.auto=0",
      "-c",
      "maintenance.auto=false",
      ...args,
    ]);
  git("init", "-q");
  git("add", "-A");
  git("commit", "-q", "-m", "bench tree");
  console.log(`${load()} at the start`);
  console.log(
    `trees: ${files} files, ${(bytes / 1e6).toFixed(0)} MB each: ${root} (plain), ${gitRoot} (git)`,
  );
  // The digest cache only trusts files older than 2 s (racy-git guard).
  await new Promise((r) => setTimeout(r, 2100));
  // Git's own racy-git rule: files written in the same second as the index are "racily clean" until
  // the index is written again later, which any `git status` in a developer's tree does; a checkout
  // that has just been made is in that state only for its first second. Refresh it once, like status.
  git("update-index", "-q", "--refresh");
  // Writing ~1 GB of trees leaves the kernel flushing dirty pages for seconds, which slows every
  // syscall measured below; flush first so both sides see the same quiet machine.
  execFileSync("sync");
  const listFile = join(work, "list0");
  const snap = await buildSnapshot({ root, cacheFile: null });
  writeFileSync(listFile, snap.entries.flatMap((e) => (e.type === "file" ? [`${e.path}\0`] : [])).join(""));
  const sha256sum = () =>
    timeIt(async () => {
      execFileSync("sh", ["-c", 'xargs -0 sha256sum < "$1" > /dev/null', "sh", listFile], { cwd: root });
    });
  const hasNixHash = spawnSync("sh", ["-c", "command -v nix-hash"]).status === 0;
  if (!hasNixHash) {
    console.log(
      "REFUSED: pikaci cold vs nix-hash: nix-hash is not installed (`bash scripts/check-nix.sh` installs Debian's nix-bin, which provides it)",
    );
  }
  const opensslBytesPerSec = opensslSha256();

  await buildSnapshot({ root, cacheFile }); // prime the digest caches
  const gitSnap = await buildSnapshot({ root: gitRoot, cacheFile: gitCacheFile });
  if (gitSnap.hash !== snap.hash || gitSnap.source !== "git") {
    throw new Error(
      `the git copy must hash like the plain one (${gitSnap.hash} ${gitSnap.source} vs ${snap.hash})`,
    );
  }
  // One unmeasured warm run of each: the JIT has then seen the warm path, as it had the cold one.
  await buildSnapshot({ root, cacheFile });
  await buildSnapshot({ root: gitRoot, cacheFile: gitCacheFile });
  const cold: number[] = [];
  const base: number[] = [];
  const nix: number[] = [];
  const warm: number[] = [];
  const warmGit: number[] = [];
  const warmDirty: number[] = [];
  const coldGit: number[] = [];
  const coldBefore: number[] = [];
  const gitStatus: number[] = [];
  if (before !== null) {
    const theirs = await before({ root, cacheFile: null });
    if (theirs.hash !== snap.hash)
      throw new Error(`${beforeDir} hashes the tree differently: ${theirs.hash}`);
  }
  // Interleaved, so a noisy neighbour slows every measure alike.
  for (let i = 0; i < runs; i++) {
    cold.push(await timeIt(() => buildSnapshot({ root, cacheFile: null })));
    if (before !== null) coldBefore.push(await timeIt(() => before({ root, cacheFile: null })));
    base.push(await sha256sum());
    if (hasNixHash) nix.push(await timeIt(async () => execFileSync("nix-hash", ["--type", "sha256", root])));
    warm.push(
      await timeIt(async () => {
        const s = await buildSnapshot({ root, cacheFile });
        if (s.cacheHits !== snap.files) throw new Error(`expected all cache hits, got ${s.cacheHits}`);
      }),
    );
    coldGit.push(await timeIt(() => buildSnapshot({ root: gitRoot, cacheFile: null })));
    warmGit.push(
      await timeIt(async () => {
        const s = await buildSnapshot({ root: gitRoot, cacheFile: gitCacheFile });
        if (s.cacheHits !== snap.files || s.hash !== snap.hash || !s.memo)
          throw new Error(`git warm: ${s.cacheHits} hits, memo ${s.memo}`);
      }),
    );
    writeFileSync(untracked, "local change\n");
    if (i === 0) await buildSnapshot({ root: gitRoot, cacheFile: dirtyCacheFile }); // primes its cache
    warmDirty.push(
      await timeIt(async () => {
        const s = await buildSnapshot({ root: gitRoot, cacheFile: dirtyCacheFile });
        if (s.memo || s.files !== snap.files + 1)
          throw new Error(`git untracked: ${s.files} files, memo ${s.memo}`);
      }),
    );
    rmSync(untracked);
    // What the clean warm run cannot go below: the one `git status` it asks (see git-work-tree.ts).
    gitStatus.push(
      await timeIt(async () =>
        git("--no-optional-locks", "status", "--porcelain=v2", "-z", "--untracked-files=all"),
      ),
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
      met: mb(median(cold)) / mb(median(base)) >= 0.8,
    },
  ];
  rows.push(
    hasNixHash
      ? {
          name: "pikaci cold vs nix-hash",
          value: median(cold),
          baseline: `nix-hash ${median(nix).toFixed(0)} ms`,
          ratio: mb(median(cold)) / mb(median(nix)),
          ratioMeaning: "throughput",
          target: ">= 1.0x",
          met: mb(median(cold)) / mb(median(nix)) >= 1.0,
        }
      : {
          name: "pikaci cold vs nix-hash (REFUSED: nix-hash missing)",
          value: median(cold),
          target: ">= 1.0x",
        },
  );
  if (before !== null) {
    rows.push({
      name: `pikaci cold, before (${beforeDir})`,
      value: median(coldBefore),
      baseline: "pikaci cold",
      ratio: median(cold) / median(coldBefore),
      ratioMeaning: "throughput of this checkout's",
    });
  }
  if (opensslBytesPerSec !== null) {
    rows.push({
      name: "pikaci cold, fraction of openssl sha256 (1 core)",
      value: median(cold),
      baseline: `openssl ${(opensslBytesPerSec / 1e6).toFixed(0)} MB/s`,
      ratio: mb(median(cold)) / (opensslBytesPerSec / 1e6),
      ratioMeaning: "of the hardware limit",
    });
  }
  rows.push(
    {
      name: `pikaci cold hash, git work tree`,
      value: median(coldGit),
      baseline: "sha256sum",
      ratio: mb(median(coldGit)) / mb(median(base)),
      ratioMeaning: "throughput",
      target: ">= 0.8x",
      met: mb(median(coldGit)) / mb(median(base)) >= 0.8,
    },
    {
      name: `pikaci warm re-hash, clean git work tree (${files} unchanged)`,
      value: median(warmGit),
      baseline: "pikaci cold, git",
      ratio: median(warmGit) / median(coldGit),
      ratioMeaning: "of cold time",
      target: "< 0.1x",
      met: median(warmGit) / median(coldGit) < 0.1,
    },
    {
      name: "git status alone (the clean warm re-hash's floor)",
      value: median(gitStatus),
      baseline: "pikaci cold, git",
      ratio: median(gitStatus) / median(coldGit),
      ratioMeaning: "of cold time",
    },
    {
      name: "pikaci warm re-hash, git work tree + 1 untracked file",
      value: median(warmDirty),
      baseline: "pikaci cold, git",
      ratio: median(warmDirty) / median(coldGit),
      ratioMeaning: "of cold time",
    },
    {
      name: `pikaci warm re-hash, plain dir (${files} unchanged)`,
      value: median(warm),
      baseline: "pikaci cold",
      ratio: median(warm) / median(cold),
      ratioMeaning: "of cold time",
    },
  );
  printTable(`hash bench: ${files} files, ${(bytes / 1e6).toFixed(0)} MB, median of ${runs}`, rows);
  console.log(
    `pikaci cold ${mb(median(cold)).toFixed(0)} MB/s, sha256sum ${mb(median(base)).toFixed(0)} MB/s` +
      (hasNixHash ? `, nix-hash ${mb(median(nix)).toFixed(0)} MB/s` : "") +
      (opensslBytesPerSec === null ? "" : `, openssl sha256 ${(opensslBytesPerSec / 1e6).toFixed(0)} MB/s`) +
      (before === null ? "" : `, before ${mb(median(coldBefore)).toFixed(0)} MB/s`),
  );
  const out = writeResults("hash", {
    files,
    bytes,
    runs,
    cold,
    cold_before: coldBefore,
    sha256sum: base,
    nix_hash: nix,
    openssl_sha256_bytes_per_sec: opensslBytesPerSec,
    warm,
    cold_git: coldGit,
    warm_git: warmGit,
    warm_git_untracked: warmDirty,
    git_status: gitStatus,
    rows,
  });
  console.log(`results: ${out}`);
  console.log(`${load()} at the end`);
  failOnMissedTargets(rows);
} finally {
  rmSync(work, { recursive: true, force: true });
}

/**
 * SHA-256 bytes/s on one core at openssl's largest block: the most any SHA-256 tree hash can reach
 * here. `openssl speed` prints thousands of bytes per second; null (with a note) without openssl.
 */
function opensslSha256(): number | null {
  const run = spawnSync("openssl", ["speed", "-seconds", "1", "sha256"], { encoding: "utf8" });
  const row = run.status === 0 ? run.stdout.split("\n").find((l) => /^sha256\s/.test(l)) : undefined;
  const last = row?.trim().split(/\s+/).at(-1);
  const thousands = last === undefined ? Number.NaN : Number.parseFloat(last);
  if (!Number.isFinite(thousands)) {
    console.log(
      "openssl speed sha256 unavailable: the hardware-limit fraction is not printed (install openssl)",
    );
    return null;
  }
  return thousands * 1000;
}
