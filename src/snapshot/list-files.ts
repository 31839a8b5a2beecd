import { execFile } from "node:child_process";
import { existsSync, readdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { promisify } from "node:util";
import { UsageError } from "../errors/index.js";
import { isExcluded, isExcludedName } from "./excludes.js";
import { type GitWorkTreeListing, type IndexedFile, listGitWorkTree } from "./git-work-tree.js";

const execFileAsync = promisify(execFile);

export interface ListedFiles {
  /** Relative `/`-separated paths of candidate files and symlinks to lstat, excludes applied, deduplicated. */
  paths: string[];
  /** Tracked files whose stat data came from git's index (see git-work-tree.ts); never also in `paths`. */
  indexed: IndexedFile[];
  source: "git" | "walk";
  /** Only from git's index: what identifies this tree, for the tree memo (see build.ts). */
  tree: Pick<GitWorkTreeListing, "indexId" | "clean" | "unchanged"> | null;
}

/**
 * Which files belong to the workspace: in a git work tree, tracked plus untracked-but-not-ignored
 * (so a dirty tree is tested as it is); elsewhere every file. Deleted-but-tracked paths are still
 * listed here and dropped when stat finds nothing.
 */
export async function listFiles(
  root: string,
  options: {
    env?: NodeJS.ProcessEnv;
    /** One more relative path to leave out with everything below it (a state root inside `root`). */
    exclude?: string;
    /** See listGitWorkTree. */
    knownIndex?: string | (() => string | undefined);
  } = {},
): Promise<ListedFiles> {
  const { exclude } = options;
  const drop =
    exclude === undefined
      ? isExcluded
      : (path: string) => isExcluded(path) || path === exclude || path.startsWith(`${exclude}/`);
  const plain = (source: "git" | "walk", paths: string[]): ListedFiles => ({
    paths: paths.filter((path) => !drop(path)),
    indexed: [],
    source,
    tree: null,
  });
  if (!insideGitWorkTree(root)) return plain("walk", walk(root));
  const fast = await listGitWorkTree({
    root,
    env: options.env ?? process.env,
    excludePathspecs: exclude === undefined ? [] : [`:(exclude,literal)${exclude}`],
    ...(options.knownIndex === undefined ? {} : { knownIndex: options.knownIndex }),
  });
  // Names that are not valid UTF-8 decode to U+FFFD: the plain listing below reports them properly.
  if (
    fast !== null &&
    !fast.paths.some(hasReplacement) &&
    !fast.indexed.some((f) => hasReplacement(f.path))
  ) {
    const { indexId, clean, unchanged } = fast;
    return {
      paths: fast.paths.filter((path) => !drop(path)),
      indexed: fast.indexed.filter((file) => !drop(file.path)),
      source: "git",
      tree: { indexId, clean, unchanged },
    };
  }
  const git = await gitListFiles(root);
  return git === null ? plain("walk", walk(root)) : plain("git", git);
}

const hasReplacement = (path: string) => path.includes("\uFFFD");

/** Spawning git just to learn there is no repository costs ~10 ms; git itself looks for `.git` upwards. */
function insideGitWorkTree(root: string): boolean {
  for (let dir = root; ; dir = dirname(dir)) {
    if (existsSync(join(dir, ".git"))) return true;
    if (dirname(dir) === dir) return false;
  }
}

async function gitListFiles(root: string): Promise<string[] | null> {
  let stdout: Buffer;
  try {
    ({ stdout } = await execFileAsync(
      "git",
      ["-C", root, "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
      { encoding: "buffer", maxBuffer: 1 << 30 },
    ));
  } catch {
    // Not a work tree, or no git at all: the plain walk is the documented fallback.
    return null;
  }
  const text = stdout.toString("utf8");
  // Invalid UTF-8 decodes to U+FFFD; only then is it worth checking name by name.
  if (text.includes("\uFFFD")) checkUtf8Names(stdout);
  const listed = text.split("\0");
  listed.pop();
  // `--cached` lists a conflicted path once per stage.
  const paths = new Set(listed);
  return [...paths];
}

function checkUtf8Names(stdout: Buffer): void {
  let start = 0;
  for (let i = stdout.indexOf(0); i !== -1; i = stdout.indexOf(0, start)) {
    const raw = stdout.subarray(start, i);
    start = i + 1;
    const path = raw.toString("utf8");
    if (!Buffer.from(path, "utf8").equals(raw)) {
      throw new UsageError(`file name is not valid UTF-8: ${JSON.stringify(path)}`, {
        hint: "rename the file (snapshot paths are hashed as UTF-8) or add it to .gitignore",
      });
    }
  }
}

function walk(root: string): string[] {
  const out: string[] = [];
  const stack: string[] = [""];
  while (stack.length > 0) {
    const dir = stack.pop()!;
    for (const dirent of readdirSync(join(root, dir), { withFileTypes: true })) {
      if (isExcludedName(dir, dirent.name)) continue;
      const path = dir === "" ? dirent.name : `${dir}/${dirent.name}`;
      // Symlinks to directories are entries, never followed.
      if (dirent.isDirectory()) stack.push(path);
      else out.push(path);
    }
  }
  return out;
}
