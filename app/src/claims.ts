import { createHash } from "node:crypto";
import { mkdirSync, symlink } from "node:fs";
import { lstat, readdir, rm } from "node:fs/promises";
import path from "node:path";

/**
 * Exactly-once work across App replicas. A replica claims a key (a webhook delivery's GUID, a
 * reconcile pass's time slot) by creating the symbolic link `<state root>/app/claims/<sha256(key)>`
 * (to the claim's time; nothing reads it): like an O_EXCL create, of any number of replicas that
 * try, one succeeds (`symlink` fails with EEXIST, on NFS too), but in one system call and no file
 * descriptor, where open + close were two trips through libuv's thread pool. The shared store is the state root: replicas
 * of one App must mount the same `PIKACI_STATE_ROOT` (cluster workers do by construction; on two
 * hosts, a shared volume with O_EXCL semantics such as NFSv4), where the dispatch log lives too.
 */
export interface Claims {
  /** true for the one caller that got the key; false when someone else already holds it. */
  claim(key: string): Promise<boolean>;
  /** Give a key back (its work failed and should be done again, e.g. by a redelivery). */
  release(key: string): Promise<void>;
  /** Forget claims older than `maxAgeMs`; returns how many were removed. */
  prune(maxAgeMs: number): Promise<number>;
}

export function createFileClaims(stateRoot: string, now: () => number = Date.now): Claims {
  const dir = path.join(stateRoot, "app", "claims");
  const fileOf = (key: string) => path.join(dir, createHash("sha256").update(key).digest("hex"));
  let made = false;
  return {
    async claim(key) {
      if (!made) {
        mkdirSync(dir, { recursive: true });
        made = true;
      }
      // On libuv's thread pool, not the event loop: a synchronous create held the event loop for
      // the whole file creation, which on a busy disk was the largest wait per delivery.
      return new Promise((resolve, reject) =>
        symlink(String(now()), fileOf(key), (error) => {
          if (!error) return resolve(true);
          if (error.code === "EEXIST") return resolve(false);
          reject(error);
        }),
      );
    },
    async release(key) {
      await rm(fileOf(key), { force: true });
    },
    async prune(maxAgeMs) {
      const names = await readdir(dir).catch(() => [] as string[]);
      let removed = 0;
      for (const name of names) {
        const file = path.join(dir, name);
        const info = await lstat(file).catch(() => null);
        if (info && now() - info.mtimeMs > maxAgeMs) {
          await rm(file, { force: true });
          removed++;
        }
      }
      return removed;
    },
  };
}

/** One process, no sharing: for handler tests. */
export function createMemoryClaims(): Claims {
  const held = new Set<string>();
  return {
    claim: async (key) => !held.has(key) && Boolean(held.add(key)),
    release: async (key) => {
      held.delete(key);
    },
    prune: async () => 0,
  };
}
