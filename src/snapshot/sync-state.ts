import { createHash } from "node:crypto";
import { mkdir, readFile, rename, writeFile } from "node:fs/promises";
import { join } from "node:path";
import type { SnapshotEntry } from "./entries.js";

/**
 * The last snapshot this machine synced to a given host work dir, with its entries. It is the base
 * a delta sync copies from on the host, so a one-file change sends one file instead of the
 * 512-byte tar header per path that assembling a tree from scratch costs. Losing it only makes the
 * next sync a full one.
 */
export interface SyncBase {
  hash: string;
  entries: SnapshotEntry[];
}

function stateFile(cacheDir: string, remote: string, remoteWorkDir: string): string {
  const key = createHash("sha256").update(`${remote}\0${remoteWorkDir}`).digest("hex").slice(0, 24);
  return join(cacheDir, `sync-base-${key}.json`);
}

export async function readSyncBase(
  cacheDir: string,
  remote: string,
  remoteWorkDir: string,
): Promise<SyncBase | null> {
  try {
    const parsed = JSON.parse(await readFile(stateFile(cacheDir, remote, remoteWorkDir), "utf8")) as SyncBase;
    if (
      typeof parsed.hash !== "string" ||
      !/^[0-9a-f]{64}$/.test(parsed.hash) ||
      !Array.isArray(parsed.entries)
    ) {
      return null;
    }
    return parsed;
  } catch {
    return null;
  }
}

export async function writeSyncBase(
  cacheDir: string,
  remote: string,
  remoteWorkDir: string,
  base: SyncBase,
): Promise<void> {
  const file = stateFile(cacheDir, remote, remoteWorkDir);
  await mkdir(cacheDir, { recursive: true });
  const temp = `${file}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`;
  await writeFile(temp, JSON.stringify(base));
  await rename(temp, file);
}
