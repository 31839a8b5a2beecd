import type { FileEntry, SnapshotEntry } from "./entries.js";
import { objectName } from "./entries.js";

/**
 * What a sync must change on the host, decided from data alone: the new snapshot's entries against
 * a base snapshot the host already has (or none). The host copies the base tree with hard links,
 * removes `removals`, then adds `added`; only objects outside the base are asked about.
 */
export interface SyncPlan {
  removals: string[];
  added: SnapshotEntry[];
  /** Non-empty file objects not known to be on the host, one per object name. */
  candidates: FileEntry[];
}

export function planSync(entries: readonly SnapshotEntry[], base: readonly SnapshotEntry[] | null): SyncPlan {
  const baseByPath = new Map((base ?? []).map((entry) => [entry.path, entry]));
  const newPaths = new Set(entries.map((entry) => entry.path));
  const removals: string[] = [];
  for (const path of baseByPath.keys()) if (!newPaths.has(path)) removals.push(path);
  const added: SnapshotEntry[] = [];
  const baseObjects = new Set<string>();
  for (const entry of base ?? []) if (entry.type === "file") baseObjects.add(objectName(entry));
  const candidates = new Map<string, FileEntry>();
  for (const entry of entries) {
    const old = baseByPath.get(entry.path);
    if (old !== undefined && sameEntry(old, entry)) continue;
    // A changed path is removed from the copied base first (also turns a dir into a file cleanly).
    if (old !== undefined) removals.push(entry.path);
    added.push(entry);
    if (entry.type === "file" && entry.size > 0 && !baseObjects.has(objectName(entry))) {
      candidates.set(objectName(entry), entry);
    }
  }
  return { removals, added, candidates: [...candidates.values()] };
}

export function sameEntry(a: SnapshotEntry, b: SnapshotEntry): boolean {
  if (a.type === "file" && b.type === "file") {
    return a.exec === b.exec && a.digest === b.digest && a.size === b.size;
  }
  if (a.type === "symlink" && b.type === "symlink") return a.target === b.target;
  return a.type === b.type;
}
