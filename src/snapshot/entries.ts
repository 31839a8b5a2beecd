/** One entry of a snapshot. Paths are relative, `/`-separated, valid UTF-8, never empty. */
export type SnapshotEntry =
  | { type: "dir"; path: string }
  | { type: "symlink"; path: string; target: string }
  | { type: "file"; path: string; exec: boolean; size: number; digest: string };

export type FileEntry = Extract<SnapshotEntry, { type: "file" }>;

export interface Snapshot {
  /** Absolute local directory the snapshot was built from. */
  root: string;
  /** Lowercase hex SHA-256, see docs/snapshot-hash.md. */
  hash: string;
  /** Sorted by the UTF-8 bytes of `path`. */
  entries: SnapshotEntry[];
  files: number;
  bytes: number;
  /** How many file digests came from the digest cache instead of reading the file. */
  cacheHits: number;
  /** The whole tree came from the tree memo: a clean git work tree whose index had not changed. */
  memo: boolean;
  /** Whether the file list came from git (tracked + untracked non-ignored) or a plain walk. */
  source: "git" | "walk";
}

/** The name a file's content has in the remote object store: exec and non-exec differ (hard links share modes). */
export function objectName(entry: Pick<FileEntry, "digest" | "exec">): string {
  return entry.exec ? `${entry.digest}.x` : entry.digest;
}

/**
 * Whether a file counts as executable in a snapshot: its owner's execute bit, exactly the bit git
 * records (100755 vs 100644). Any other choice lets a git work tree and a plain walk of the same
 * bytes disagree, and git would not notice a change of the other bits (see git-work-tree.ts).
 */
export function isExecutable(mode: number): boolean {
  return (mode & 0o100) !== 0;
}
