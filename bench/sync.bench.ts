/**
 * Sync: cold content-addressed sync vs `tar c | tar x` through the same transport, warm sync
 * (bytes sent), and a one-file change vs `rsync -a`. LocalhostTransport by default; over the test
 * host's sshd when PIKACI_BENCH_SSH=1 (exits 2 when there is no test host). Exits 1 on a missed target.
 * PIKACI_BENCH_FILES (default 5000), PIKACI_BENCH_RUNS (default 3).
 *   npx tsx bench/sync.bench.ts
 */
import { execFileSync, spawn, spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { buildSnapshot, syncSnapshot } from "../src/snapshot/index.js";
import { LocalhostTransport } from "../src/transport/localhost.js";
import type { Transport } from "../src/transport/transport.js";
import { failOnMissedTargets, median, printTable, type Row, timeIt, writeResults } from "./lib/stats.js";
import { testHostOrExit } from "./lib/test-host.js";
import { makeBenchTree } from "./lib/tree.js";

const files = Number(process.env.PIKACI_BENCH_FILES ?? 5000);
const runs = Number(process.env.PIKACI_BENCH_RUNS ?? 3);
const remoteBase = `/tmp/pikaci-bench-sync-remote-${process.pid}`;

async function openTransport(): Promise<{ transport: Transport; sshArgs: string[] | null }> {
  if (process.env.PIKACI_BENCH_SSH !== "1") return { transport: new LocalhostTransport(), sshArgs: null };
  const host = testHostOrExit("sync", "PIKACI_BENCH_SSH=1 measures over the build host's sshd.");
  const { connectSsh } = await import("../src/ssh/ssh-transport.js");
  const transport = await connectSsh({
    url: `ssh://${host.sshUser}@${host.sshHost}:${host.sshPort}`,
    privateKey: readFileSync(host.sshKey),
    knownHosts: readFileSync(host.knownHostsFile, "utf8"),
  });
  const ssh = `ssh -p ${host.sshPort} -i ${host.sshKey} -o UserKnownHostsFile=${host.knownHostsFile} -l ${host.sshUser}`;
  return { transport, sshArgs: [ssh, `${host.sshHost}:`] };
}

function ensureRsync(): boolean {
  if (spawnSync("sh", ["-c", "command -v rsync"]).status === 0) return true;
  console.log("rsync missing: trying apt-get install rsync (bench only)");
  return spawnSync("sh", ["-c", "apt-get install -y -qq rsync"], { stdio: "inherit" }).status === 0;
}

/** `tar -c` locally piped through the transport into `tar -x` on the host. */
async function tarPipe(transport: Transport, dest: string): Promise<void> {
  const tar = spawn("tar", ["-c", "-C", root, "-f", "-", "."], { stdio: ["ignore", "pipe", "inherit"] });
  const result = await transport.exec(["sh", "-c", 'mkdir -p "$1" && tar -x -C "$1" -f -', "sh", dest], {
    stdin: tar.stdout,
  });
  if (result.code !== 0) throw new Error(`tar pipe failed: ${result.stderr}`);
}

/** rsync's own count of bytes it sent, from --stats. */
function rsync(sshArgs: string[] | null, dest: string): { ms: number; bytes: number } {
  const target = sshArgs ? `${sshArgs[1]}${dest}/` : `${dest}/`;
  const args = ["-a", "--stats", ...(sshArgs ? ["-e", sshArgs[0]!] : []), `${root}/`, target];
  const start = performance.now();
  const out = execFileSync("rsync", args, { encoding: "utf8" });
  const ms = performance.now() - start;
  const sent = /Total bytes sent: ([\d,.]+)/.exec(out)?.[1]?.replace(/[,.]/g, "") ?? "0";
  return { ms, bytes: Number(sent) };
}

const { transport, sshArgs } = await openTransport();
// After openTransport, which may refuse (exit 2) and would leave the directory behind.
const work = mkdtempSync(join(tmpdir(), "pikaci-bench-sync-"));
const root = join(work, "tree");
try {
  const bytes = makeBenchTree(root, files);
  console.log(`tree: ${files} files, ${(bytes / 1e6).toFixed(0)} MB; transport ${transport.description}`);
  const snapshot = await buildSnapshot({ root, cacheFile: null });
  const cold: number[] = [];
  const tarMs: number[] = [];
  let coldBytes = 0;
  for (let i = 0; i < runs; i++) {
    const dir = `${remoteBase}/cold${i}`;
    const cacheDir = join(work, `cache-cold${i}`);
    cold.push(
      await timeIt(async () => {
        const r = await syncSnapshot({ transport, remoteWorkDir: dir, snapshot, localRoot: root, cacheDir });
        coldBytes = r.stats.bytes_sent;
      }),
    );
    tarMs.push(await timeIt(() => tarPipe(transport, `${remoteBase}/tar${i}`)));
    await transport.exec(["rm", "-rf", dir, `${remoteBase}/tar${i}`]);
  }

  const dir = `${remoteBase}/main`;
  const cacheDir = join(work, "cache-main");
  await syncSnapshot({ transport, remoteWorkDir: dir, snapshot, localRoot: root, cacheDir });
  const warm: number[] = [];
  let warmBytes = -1;
  for (let i = 0; i < runs; i++) {
    warm.push(
      await timeIt(async () => {
        const r = await syncSnapshot({ transport, remoteWorkDir: dir, snapshot, localRoot: root, cacheDir });
        warmBytes = r.stats.bytes_sent;
      }),
    );
  }

  const haveRsync = ensureRsync();
  const rsyncDest = `${remoteBase}/rsync`;
  if (haveRsync) rsync(sshArgs, rsyncDest);
  const one: number[] = [];
  const rs: number[] = [];
  let oneBytes = 0;
  let rsBytes = 0;
  const changedSize = 20_000;
  for (let i = 0; i < runs; i++) {
    writeFileSync(join(root, "pkg3/mod3/file3.dat"), `${i}`.repeat(changedSize));
    const next = await buildSnapshot({ root, cacheFile: null });
    one.push(
      await timeIt(async () => {
        const r = await syncSnapshot({
          transport,
          remoteWorkDir: dir,
          snapshot: next,
          localRoot: root,
          cacheDir,
        });
        oneBytes = r.stats.bytes_sent;
      }),
    );
    if (haveRsync) {
      const r = rsync(sshArgs, rsyncDest);
      rs.push(r.ms);
      rsBytes = r.bytes;
    }
  }
  if (!haveRsync) console.log("rsync not installable: skipping the rsync baseline");

  // The same change from a machine with no memory of earlier syncs (a fresh CI runner): the base
  // comes from the host's lineage manifest, downloaded gzipped.
  const fresh: number[] = [];
  let freshBytes = 0;
  let freshReceived = 0;
  for (let i = 0; i < runs; i++) {
    writeFileSync(join(root, "pkg3/mod3/file3.dat"), `f${i}`.repeat(changedSize / 2));
    const next = await buildSnapshot({ root, cacheFile: null });
    fresh.push(
      await timeIt(async () => {
        const r = await syncSnapshot({
          transport,
          remoteWorkDir: dir,
          snapshot: next,
          localRoot: root,
          cacheDir: join(work, `cache-fresh${i}`),
        });
        if (r.baseSource !== "host") throw new Error(`expected the host's base, got ${r.baseSource}`);
        freshBytes = r.stats.bytes_sent;
        freshReceived = r.stats.bytes_received ?? 0;
      }),
    );
  }

  const rows: Row[] = [
    { name: "tar c | tar x", value: median(tarMs) },
    {
      name: "pikaci cold sync",
      value: median(cold),
      baseline: "tar pipe",
      ratio: median(cold) / median(tarMs),
      ratioMeaning: "of tar time",
    },
    {
      name: "pikaci cold bytes sent",
      value: coldBytes / 1e6,
      unit: "MB",
      baseline: `tree ${(bytes / 1e6).toFixed(1)} MB`,
    },
    {
      name: "pikaci warm sync",
      value: median(warm),
      baseline: "cold",
      ratio: median(warm) / median(cold),
      ratioMeaning: "of cold",
    },
    { name: "pikaci warm bytes sent", value: warmBytes, unit: "B", target: "0", met: warmBytes === 0 },
    {
      name: "pikaci one-file change",
      value: median(one),
      ...(haveRsync
        ? { baseline: "rsync -a", ratio: median(one) / median(rs), ratioMeaning: "of rsync time" }
        : {}),
    },
    {
      name: "pikaci one-file bytes sent",
      value: oneBytes,
      unit: "B",
      target: `<= ${changedSize} + 65536`,
      met: oneBytes <= changedSize + 65536,
    },
    {
      name: "pikaci one-file, fresh machine",
      value: median(fresh),
      baseline: "local base",
      ratio: median(fresh) / median(one),
      ratioMeaning: "of local-base time",
    },
    {
      name: "fresh machine bytes sent",
      value: freshBytes,
      unit: "B",
      target: `<= ${changedSize} + 65536`,
      met: freshBytes <= changedSize + 65536,
    },
    { name: "fresh machine bytes received", value: freshReceived, unit: "B", baseline: "gzipped manifest" },
  ];
  if (haveRsync)
    rows.push(
      { name: "rsync -a one-file", value: median(rs) },
      { name: "rsync bytes sent", value: rsBytes, unit: "B" },
    );
  printTable(`sync bench (${transport.description}): ${files} files, median of ${runs}`, rows);
  const out = writeResults("sync", {
    files,
    bytes,
    runs,
    transport: transport.description,
    cold,
    tarMs,
    warm,
    one,
    fresh,
    freshBytes,
    freshReceived,
    rsync: rs,
    coldBytes,
    warmBytes,
    oneBytes,
    rsBytes,
    rows,
  });
  console.log(`results: ${out}`);
  failOnMissedTargets(rows);
} finally {
  await transport.exec(["rm", "-rf", remoteBase]).catch(() => {});
  await transport.close();
  rmSync(work, { recursive: true, force: true });
}
