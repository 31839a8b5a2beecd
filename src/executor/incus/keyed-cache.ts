import { posix } from "node:path";
import { InfrastructureError } from "../../errors/index.js";
import type { Snapshot } from "../../snapshot/entries.js";
import type { Transport } from "../../transport/transport.js";
import { renderKey } from "./cache-key.js";
import { cacheDir } from "./paths.js";

/**
 * Keyed caches on the build host (docs/dependencies.md §4). Layout under `cache/<name>/`:
 * `<key>/` a saved cache (never written in place), `<key>.used` touched on every restore and save
 * (what `pikaci gc` ages), `.save-<id>/` a save being published. A job works on its own copy in
 * `<job dir>/cache/<name>`; only a passing job publishes it, by rename, and only if the key is not
 * there yet: a failing job never saves, and of two concurrent jobs with one key the first rename
 * wins and the other's copy is dropped, so the cache is always one job's whole result.
 */
export interface KeyedCache {
  name: string;
  key: string;
  /** Prefixes tried, in order, when `key` itself is not saved: the newest saved key with the prefix. */
  restoreKeys: readonly string[];
  /** The job's working copy (mounted read-write in the guest). */
  work: string;
}

export function keyedWorkDir(jobDir: string, name: string): string {
  return posix.join(jobDir, "cache", name);
}

const RESTORE = `
set -u
base=$1; work=$2; key=$3; shift 3
mkdir -p "$base" "$work"
src=""
if [ -d "$base/$key" ]; then src=$key
else
  for p in "$@"; do
    for d in $(ls -1t "$base" 2>/dev/null); do
      case "$d" in .*|*.used) continue ;; "$p"*) [ -d "$base/$d" ] && { src=$d; break 2; } ;; esac
    done
  done
fi
if [ -n "$src" ]; then
  cp -a "$base/$src/." "$work/" || exit 1
  touch "$base/$src.used"
  echo "restored $src"
else
  echo "miss"
fi
chmod 0777 "$work"
`;

const SAVE = `
set -u
base=$1; work=$2; key=$3; id=$4
if [ -d "$base/$key" ]; then rm -rf "$work"; echo "exists"; exit 0; fi
tmp="$base/.save-$id"
rm -rf "$tmp"
mv -T "$work" "$tmp" || exit 1
if mv -T "$tmp" "$base/$key" 2>/dev/null; then touch "$base/$key.used"; echo "saved"
else rm -rf "$tmp"; echo "exists"; fi
`;

/** Before launch: fills each job copy from the key, else the newest restore-key match. */
export async function restoreKeyedCaches(params: {
  transport: Transport;
  remoteWorkDir: string;
  caches: readonly KeyedCache[];
  log: (line: string) => void;
}): Promise<void> {
  for (const cache of params.caches) {
    const base = cacheDir(params.remoteWorkDir, cache.name);
    const result = await params.transport.exec([
      "sh",
      "-c",
      RESTORE,
      "pikaci-cache-restore",
      base,
      cache.work,
      cache.key,
      ...cache.restoreKeys,
    ]);
    if (result.code !== 0) {
      throw new InfrastructureError(
        `cannot restore cache ${cache.name}: ${result.stderr.toString().trim()}`,
        {
          hint: "check the build host's disk space and the permissions under <remote-work-dir>/cache",
        },
      );
    }
    const said = result.stdout.toString().trim();
    params.log(
      `cache ${cache.name}: key ${cache.key}: ${said === "miss" ? "not found, starting empty" : said}`,
    );
  }
}

/** After the job: a passing job publishes its copies; any other ending drops them. */
export async function finishKeyedCaches(params: {
  transport: Transport;
  remoteWorkDir: string;
  caches: readonly KeyedCache[];
  passed: boolean;
  id: string;
  log: (line: string) => void;
}): Promise<void> {
  for (const cache of params.caches) {
    if (!params.passed) {
      await params.transport.exec(["rm", "-rf", "--", cache.work]).catch(() => {});
      params.log(`cache ${cache.name}: not saved (the lane did not pass)`);
      continue;
    }
    const base = cacheDir(params.remoteWorkDir, cache.name);
    const result = await params.transport
      .exec(["sh", "-c", SAVE, "pikaci-cache-save", base, cache.work, cache.key, params.id])
      .catch((error: unknown) => ({ code: 1, stdout: Buffer.alloc(0), stderr: Buffer.from(String(error)) }));
    const said = result.stdout.toString().trim();
    params.log(
      result.code !== 0
        ? `cache ${cache.name}: saving key ${cache.key} failed: ${result.stderr.toString().trim()}`
        : said === "saved"
          ? `cache ${cache.name}: saved key ${cache.key}`
          : `cache ${cache.name}: key ${cache.key} already saved, kept as it is`,
    );
  }
}

/** The job's keyed caches with their keys rendered; a key that hashes files reads the run's snapshot. */
export async function planKeyedCaches(params: {
  caches: readonly { name: string; key?: string; restore_keys?: readonly string[] }[];
  snapshot: Pick<Snapshot, "entries">;
  jobDir: string;
}): Promise<KeyedCache[]> {
  const keyed = params.caches.filter((c) => c.key !== undefined);
  if (keyed.length === 0) return [];
  return keyed.map((c) => ({
    name: c.name,
    key: renderKey(c.key!, () => params.snapshot.entries),
    restoreKeys: (c.restore_keys ?? []).map((k) => renderKey(k, () => params.snapshot.entries)),
    work: keyedWorkDir(params.jobDir, c.name),
  }));
}
