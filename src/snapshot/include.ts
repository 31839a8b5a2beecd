import { lstatSync, readdirSync } from "node:fs";
import picomatch from "picomatch";
import { UsageError } from "../errors/index.js";
import { METADATA_FILE } from "./excludes.js";

/**
 * `snapshot.include` (docs/snapshot-hash.md §1): files git ignores that a lane still needs, such as
 * a `node_modules/` prepared by `npm ci`. Included paths override the default excludes except
 * these, which would make a snapshot hash itself or carry another repository's history.
 */
const NEVER_INCLUDED = new Set([".git", ".pikaci"]);

/** Pure: whether an included path is still dropped (`.git`/`.pikaci` anywhere, the metadata file, the state root). */
export function isNeverIncluded(path: string, stateRoot?: string): boolean {
  if (path === METADATA_FILE) return true;
  if (stateRoot !== undefined && (path === stateRoot || path.startsWith(`${stateRoot}/`))) return true;
  return path.split("/").some((part) => NEVER_INCLUDED.has(part));
}

/** Pure: the directory a glob can match below (picomatch's static prefix), "" for the root. */
export function globBase(glob: string): string {
  const { base } = picomatch.scan(glob);
  return base === "." ? "" : base.replace(/\/+$/, "");
}

/**
 * Relative paths of files and symlinks under `root` matched by any of `globs` (picomatch, dot files
 * included) and by none of the globs written with a leading `!` (e.g. `!node_modules/.cache/**`). Directories are walked from each glob's static prefix; symlinks are entries, never
 * followed (a symlinked `node_modules` is one symlink entry, as git would record it).
 */
export function listIncluded(
  root: string,
  globs: readonly string[],
  options: { stateRoot?: string } = {},
): string[] {
  for (const glob of globs) checkGlob(glob);
  const positive = globs.filter((g) => !g.startsWith("!"));
  const negative = globs.filter((g) => g.startsWith("!")).map((g) => g.slice(1));
  if (positive.length === 0) return [];
  const included = picomatch(positive, { dot: true });
  const dropped = negative.length === 0 ? () => false : picomatch(negative, { dot: true });
  const isMatch = (path: string) => included(path) && !dropped(path);
  const out = new Set<string>();
  const walked = new Set<string>();
  for (const base of bases(positive)) {
    if (base !== "" && isNeverIncluded(base, options.stateRoot)) continue;
    const stat = lstatSync(base === "" ? root : `${root}/${base}`, { throwIfNoEntry: false });
    if (stat === undefined) continue; // nothing prepared yet: an include that matches nothing is fine
    if (!stat.isDirectory()) {
      if (isMatch(base)) out.add(base);
      continue;
    }
    walk(root, base, { isMatch, out, walked, stateRoot: options.stateRoot });
  }
  return [...out];
}

/** Each glob's base, minus bases below another base (walked once). */
function bases(globs: readonly string[]): string[] {
  const all = [...new Set(globs.map(globBase))].sort();
  return all.filter((b) => !all.some((other) => other !== b && (other === "" || b.startsWith(`${other}/`))));
}

function walk(
  root: string,
  start: string,
  ctx: { isMatch: (p: string) => boolean; out: Set<string>; walked: Set<string>; stateRoot?: string },
): void {
  const stack = [start];
  while (stack.length > 0) {
    const dir = stack.pop()!;
    if (ctx.walked.has(dir)) continue;
    ctx.walked.add(dir);
    for (const dirent of readdirSync(dir === "" ? root : `${root}/${dir}`, { withFileTypes: true })) {
      const path = dir === "" ? dirent.name : `${dir}/${dirent.name}`;
      if (isNeverIncluded(path, ctx.stateRoot)) continue;
      if (dirent.isDirectory()) stack.push(path);
      else if ((dirent.isFile() || dirent.isSymbolicLink()) && ctx.isMatch(path)) ctx.out.add(path);
    }
  }
}

function checkGlob(glob: string): void {
  const body = glob.startsWith("!") ? glob.slice(1) : glob;
  if (body === "" || body.startsWith("/") || body.split("/").includes("..")) {
    throw new UsageError(`snapshot.include glob ${JSON.stringify(glob)} leaves the workspace`, {
      hint: "write include globs relative to the repository root, without '..' (e.g. node_modules/**)",
    });
  }
}
