import type { Transport } from "../transport/transport.js";
import { isExecutable, type Snapshot, type SnapshotEntry } from "./entries.js";
import { hashSortedEntries, sortEntries } from "./hash-spec.js";
import { DIGEST_TREE_SCRIPT, LIST_TREE_SCRIPT } from "./remote-scripts.js";
import { runScript } from "./run-script.js";

export interface VerifyResult {
  ok: boolean;
  /** The hash recomputed from the remote tree with sha256sum. */
  hash: string;
  /** Human-readable differences (first 50): wrong content, missing or extra paths, unsafe modes. */
  problems: string[];
}

/**
 * Re-hashes a published tree on the host (find + sha256sum; GNU findutils) and compares it entry
 * by entry with the local snapshot. Also checks what the read-only mount relies on: files
 * world-readable and not writable, directories 0755.
 */
export async function verifyRemoteSnapshot(params: {
  transport: Transport;
  remotePath: string;
  snapshot: Snapshot;
}): Promise<VerifyResult> {
  const ctx = { transport: params.transport, workDir: params.remotePath };
  const [listing, sums] = await Promise.all([
    runScript(ctx, LIST_TREE_SCRIPT, [params.remotePath]),
    runScript(ctx, DIGEST_TREE_SCRIPT, [params.remotePath]),
  ]);
  const problems: string[] = [];
  const sorted = sortEntries(parseListing(listing, parseDigests(sums), problems));
  const hash = hashSortedEntries(sorted);
  compareEntries(sorted, params.snapshot.entries, problems);
  return {
    ok: problems.length === 0 && hash === params.snapshot.hash,
    hash,
    problems: problems.slice(0, 50),
  };
}

/** `sha256sum` output, NUL-terminated lines: path → digest. */
function parseDigests(sums: string): Map<string, string> {
  const digests = new Map<string, string>();
  for (const line of sums.split("\0")) {
    if (line === "") continue;
    digests.set(line.slice(66).replace(/^\.\//, ""), line.slice(0, 64));
  }
  return digests;
}

/** LIST_TREE_SCRIPT's records (type, path, mode, size, target) as entries; bad modes and types go to `problems`. */
function parseListing(
  listing: string,
  digests: ReadonlyMap<string, string>,
  problems: string[],
): SnapshotEntry[] {
  const remote: SnapshotEntry[] = [];
  const fields = listing.split("\0");
  for (let i = 0; i + 4 < fields.length; i += 5) {
    const [type, path, modeText, sizeText, target] = fields.slice(i, i + 5) as [
      string,
      string,
      string,
      string,
      string,
    ];
    const mode = Number.parseInt(modeText, 8);
    if (type === "d") {
      remote.push({ type: "dir", path });
      if (mode !== 0o755) problems.push(`${path}: directory mode ${modeText}, expected 755`);
    } else if (type === "l") {
      remote.push({ type: "symlink", path, target });
    } else if (type === "f") {
      const digest = digests.get(path) ?? "";
      remote.push({ type: "file", path, exec: isExecutable(mode), size: Number(sizeText), digest });
      if ((mode & 0o444) !== 0o444 || (mode & 0o222) !== 0) problems.push(`${path}: file mode ${modeText}`);
    } else {
      problems.push(`${path}: unexpected file type ${type}`);
    }
  }
  return remote;
}

function compareEntries(
  remote: readonly SnapshotEntry[],
  expected: readonly SnapshotEntry[],
  problems: string[],
): void {
  const local = new Map(expected.map((entry) => [entry.path, JSON.stringify(entry)]));
  const seen = new Set<string>();
  for (const entry of remote) {
    seen.add(entry.path);
    const want = local.get(entry.path);
    if (want === undefined) problems.push(`${entry.path}: not in the snapshot`);
    else if (want !== JSON.stringify(entry))
      problems.push(`${entry.path}: differs (${JSON.stringify(entry)})`);
  }
  for (const path of local.keys()) if (!seen.has(path)) problems.push(`${path}: missing on the host`);
}
