import type { SnapshotEntry } from "./entries.js";
import { hashSortedEntries, sortEntries } from "./hash-spec.js";

/**
 * The entry list a build host keeps next to each published snapshot (`snapshots/<hash>/manifest.v1`),
 * so a client with no memory of earlier syncs can still send only a delta. One line per entry,
 * tab-separated, the path (and symlink target) JSON-encoded so no tab or newline survives in them;
 * the first field is the key the host's awk matches removals against:
 *
 *   pikaci-manifest-v1 TAB <hash>
 *   "<path>" TAB f TAB <644|755> TAB <size> TAB <digest>
 *   "<path>" TAB l TAB "<target>"
 *   "<path>" TAB d
 *
 * Line order is not significant. A parsed manifest is only trusted when its entries hash to the
 * snapshot hash, so a stale, truncated or corrupt one is detected, never used.
 */
export const MANIFEST_HEADER = "pikaci-manifest-v1";

export function manifestKey(path: string): string {
  return JSON.stringify(path);
}

export function manifestLine(entry: SnapshotEntry): string {
  const key = manifestKey(entry.path);
  switch (entry.type) {
    case "file":
      return `${key}\tf\t${entry.exec ? "755" : "644"}\t${entry.size}\t${entry.digest}\n`;
    case "symlink":
      return `${key}\tl\t${JSON.stringify(entry.target)}\n`;
    case "dir":
      return `${key}\td\n`;
  }
}

/** The entries of a manifest, sorted, or null unless it parses completely and hashes to `hash`. */
export function parseManifest(text: string, hash: string): SnapshotEntry[] | null {
  const lines = text.split("\n");
  if (lines.pop() !== "" || lines[0] !== `${MANIFEST_HEADER}\t${hash}`) return null;
  const entries: SnapshotEntry[] = [];
  try {
    for (let i = 1; i < lines.length; i++) {
      const entry = parseLine(lines[i]!);
      if (entry === null) return null;
      entries.push(entry);
    }
  } catch {
    return null; // a field that is not valid JSON
  }
  const sorted = sortEntries(entries);
  return hashSortedEntries(sorted) === hash ? sorted : null;
}

function parseLine(line: string): SnapshotEntry | null {
  const fields = line.split("\t");
  const path: unknown = JSON.parse(fields[0]!);
  if (typeof path !== "string" || path === "") return null;
  if (fields[1] === "d" && fields.length === 2) return { type: "dir", path };
  if (fields[1] === "l" && fields.length === 3) {
    const target: unknown = JSON.parse(fields[2]!);
    return typeof target === "string" ? { type: "symlink", path, target } : null;
  }
  const [, type, mode = "", size = "", digest = ""] = fields;
  if (type !== "f" || fields.length !== 5 || !/^(644|755)$/.test(mode) || !/^\d+$/.test(size)) return null;
  if (!/^[0-9a-f]{64}$/.test(digest)) return null;
  return { type: "file", path, exec: mode === "755", size: Number(size), digest };
}
