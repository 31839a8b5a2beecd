import { execFile } from "node:child_process";
import { readFileSync, statSync } from "node:fs";
import { isAbsolute, join } from "node:path";
import { promisify } from "node:util";
import type { StatKey } from "./digest-cache-file.js";
import { GIT_PATHSPEC_EXCLUDES } from "./excludes.js";
import { type GitIndex, type GitIndexEntry, indexChecksum, parseGitIndex } from "./git-index.js";

const execFileAsync = promisify(execFile);

/** A tracked regular file that git vouches is unchanged since the index recorded its stat data. */
export interface IndexedFile extends StatKey {
  path: string;
}

export interface GitWorkTreeListing {
  /** Clean tracked regular files, with their stat data from the index: no lstat needed. */
  indexed: IndexedFile[];
  /** Everything else to lstat: stat-dirty, untracked, conflicted, symlinks, deleted-but-tracked. */
  paths: string[];
  /**
   * The index file's checksum when it identifies the tracked tree: null when git wrote none, or
   * when some entry is one git does not compare with the work tree (skip-worktree, …).
   */
  indexId: string | null;
  /** `git status` named no change and no untracked file. */
  clean: boolean;
  /** The index is byte for byte `knownIndex` and the tree is clean: `indexed`/`paths` are empty. */
  unchanged: boolean;
}

/**
 * Git's knobs for "does the work tree still match the index stat data", pinned to the strictest
 * setting so a file counts as clean only where our own stat cache would also have trusted it.
 * fsmonitor is off so the answer comes from lstat, not from a daemon's memory.
 */
const STRICT = [
  "-c",
  "core.fileMode=true",
  "-c",
  "core.trustctime=true",
  "-c",
  "core.checkStat=default",
  "-c",
  "core.fsmonitor=false",
];

/**
 * Lists a git work tree whose top is `root` the cheap way: the index gives every tracked file with its
 * stat data, and `git status` (which stats on several threads, with git's racy-timestamp checks)
 * names the tracked files that no longer match it and the untracked ones.
 *
 * Null when that does not apply (root is not the top of the work tree, git's location is overridden
 * by the environment, or the index is a kind parseIndex does not read): then list the slow way.
 */
export async function listGitWorkTree(params: {
  root: string;
  env?: NodeJS.ProcessEnv;
  /** More `:(exclude)` pathspecs, so git does not walk what the caller drops anyway. */
  excludePathspecs?: readonly string[];
  /**
   * An `indexId` from an earlier listing: if the index still has it, it is not even parsed. A
   * function is asked once git is running, so what it reads (the digest cache) overlaps git.
   */
  knownIndex?: string | (() => string | undefined);
}): Promise<GitWorkTreeListing | null> {
  const env = params.env ?? process.env;
  if (env.GIT_DIR || env.GIT_INDEX_FILE || env.GIT_WORK_TREE || env.GIT_COMMON_DIR) return null;
  const gitDir = gitDirOf(params.root);
  if (gitDir === null) return null;
  let parsed: GitIndex | null = null;
  let changes: ReturnType<typeof parseStatus>;
  try {
    const running = startStatus(params.root, params.excludePathspecs ?? []);
    // Git is started first; reading and parsing the index (a few MB from the page cache, read in
    // one go rather than in promise-sized chunks) then happens while it stats the work tree. An
    // index that may be the known one is only parsed if git then names a change.
    const index = readFileSync(join(gitDir, "index"));
    const known = typeof params.knownIndex === "function" ? params.knownIndex() : params.knownIndex;
    const maybeKnown = known !== undefined && indexChecksum(index, known.length) === known;
    if (!maybeKnown) parsed = parseGitIndex(index);
    changes = parseStatus(await running);
    if (changes === null) return null;
    if (maybeKnown) {
      if (isClean(changes)) return { indexed: [], paths: [], indexId: known, clean: true, unchanged: true };
      parsed = parseGitIndex(index);
    }
  } catch {
    return null; // no index yet (a fresh `git init`), or git failed: the slow listing decides
  }
  if (parsed === null) return null;
  const candidates = candidatesOf(parsed.entries);
  const listing = applyChanges(candidates, changes.dirty, changes.untracked);
  const identifies = !candidates.untrusted && !/^0+$/.test(parsed.checksum);
  return {
    ...listing,
    indexId: identifies ? parsed.checksum : null,
    clean: isClean(changes),
    unchanged: false,
  };
}

/**
 * `git status` (read-only with --no-optional-locks) names both kinds of change in one process: one
 * fork of this (possibly large) process, not two. Its records, NUL-split, once git exits.
 */
function startStatus(root: string, excludePathspecs: readonly string[]): Promise<string[]> {
  const running = execFileAsync(
    "git",
    [
      "--no-optional-locks",
      "-C",
      root,
      ...STRICT,
      "status",
      "--porcelain=v2",
      "-z",
      "--untracked-files=all",
      "--ignore-submodules=all",
      "--no-renames",
      "--",
      ...GIT_PATHSPEC_EXCLUDES,
      ...excludePathspecs,
    ],
    { encoding: "buffer", maxBuffer: 1 << 30 },
  ).then(({ stdout }) => splitNul(stdout));
  running.catch(() => {}); // awaited by the caller; this only keeps an early throw from leaving it unhandled
  return running;
}

const isClean = (changes: { dirty: ReadonlySet<string>; untracked: readonly string[] }) =>
  changes.dirty.size === 0 && changes.untracked.length === 0;

/**
 * Pure: `git status --porcelain=v2 -z --no-renames` records. What matters here is the work tree
 * against the index (the second status letter, or an unmerged or untracked record); a change that
 * is only staged leaves the file as the index has it. Null for a record this does not know.
 */
export function parseStatus(records: readonly string[]): { dirty: Set<string>; untracked: string[] } | null {
  const dirty = new Set<string>();
  const untracked: string[] = [];
  for (const record of records) {
    switch (record[0]) {
      case "1": {
        // 1 XY sub mH mI mW hH hI path — the path may contain spaces, so split only eight times.
        const path = fieldsAfter(record, 8);
        if (path === null) return null;
        if (record[3] !== ".") dirty.add(path);
        break;
      }
      case "u": {
        // u XY sub m1 m2 m3 mW h1 h2 h3 path
        const path = fieldsAfter(record, 10);
        if (path === null) return null;
        dirty.add(path);
        break;
      }
      case "?":
        untracked.push(record.slice(2));
        break;
      case "#":
      case "!":
        break;
      default:
        return null; // a rename record ("2") despite --no-renames, or a newer format
    }
  }
  return { dirty, untracked };
}

/** What follows the first `count` space-separated fields of a record. */
function fieldsAfter(record: string, count: number): string | null {
  let at = -1;
  for (let i = 0; i < count; i++) {
    at = record.indexOf(" ", at + 1);
    if (at < 0) return null;
  }
  return record.slice(at + 1);
}

interface Candidates {
  /** Tracked regular files git compares with the work tree: clean unless `git status` names them. */
  files: IndexedFile[];
  /** Tracked paths git does not vouch for (symlinks, conflicts, skip-worktree, …): always stat'ed. */
  paths: string[];
  /** Some entry is skip-worktree, assume-unchanged or intent-to-add: git does not check it. */
  untrusted: boolean;
}

/** Pure: which index entries git vouches for (unless it later names them changed). */
export function candidatesOf(entries: readonly GitIndexEntry[]): Candidates {
  const files: IndexedFile[] = [];
  const paths: string[] = [];
  const seen = new Set<string>();
  let untrusted = false;
  for (const entry of entries) {
    untrusted ||= entry.untrusted;
    const { path, mode } = entry;
    if ((mode & 0o170000) === 0o160000) continue; // a submodule: not part of the snapshot
    if ((mode & 0o170000) === 0o100000 && entry.stage === 0 && !entry.untrusted) {
      files.push(entry); // already an IndexedFile: no copy of 20k objects
    } else if (!seen.has(path)) {
      // A conflicted path has one entry per stage: stat it once.
      seen.add(path);
      paths.push(path);
    }
  }
  return { files, paths, untrusted };
}

/** Pure: the files git named changed move from `indexed` to the paths to stat. */
export function applyChanges(
  candidates: Candidates,
  dirty: ReadonlySet<string>,
  untracked: readonly string[],
): Pick<GitWorkTreeListing, "indexed" | "paths"> {
  if (dirty.size === 0) return { indexed: candidates.files, paths: [...candidates.paths, ...untracked] };
  const indexed: IndexedFile[] = [];
  const paths = [...candidates.paths];
  for (const file of candidates.files) {
    if (dirty.has(file.path)) paths.push(file.path);
    else indexed.push(file);
  }
  // A dirty path can also be a non-regular entry already in `paths`: stat it once.
  return { indexed, paths: [...new Set(paths), ...untracked] };
}

/** `<root>/.git` as a directory, or the directory a `.git` file points at (linked work trees). */
function gitDirOf(root: string): string | null {
  const dotGit = join(root, ".git");
  const stat = statSync(dotGit, { throwIfNoEntry: false });
  if (stat === undefined) return null;
  if (stat.isDirectory()) return dotGit;
  const match = /^gitdir: (.+)$/m.exec(readFileSync(dotGit, "utf8"));
  if (!match) return null;
  const target = match[1]!.trim();
  return isAbsolute(target) ? target : join(root, target);
}

function splitNul(stdout: Buffer): string[] {
  const parts = stdout.toString("utf8").split("\0");
  parts.pop();
  return parts;
}
