import { createHash } from "node:crypto";
import picomatch from "picomatch";
import { UsageError } from "../../errors/index.js";
import type { SnapshotEntry } from "../../snapshot/entries.js";

/**
 * Cache keys (docs/dependencies.md §4): literal text plus `{{ hashFiles('glob', …) }}`, which is the
 * SHA-256 over the sorted `path NUL digest LF` of the snapshot's files matching any glob (first 32
 * hex), or the empty string when none matches. A rendered key is 1-200 of [A-Za-z0-9._-] and starts
 * with a letter or digit, so it is one safe path segment on the build host.
 */
const EXPRESSION = /\{\{\s*hashFiles\(([^)]*)\)\s*\}\}/g;
const KEY = /^[A-Za-z0-9][A-Za-z0-9._-]{0,199}$/;

/** Pure: the globs of one hashFiles(...) argument list: single- or double-quoted, comma-separated. */
export function parseGlobs(args: string): string[] {
  const globs: string[] = [];
  const re = /\s*(?:'([^']*)'|"([^"]*)")\s*(,|$)/y;
  let at = 0;
  while (at < args.length) {
    re.lastIndex = at;
    const match = re.exec(args);
    if (!match) throw badKey(`hashFiles(${args})`, "arguments are quoted globs separated by commas");
    globs.push(match[1] ?? match[2]!);
    at = re.lastIndex;
    if (match[3] === "") break;
  }
  if (globs.length === 0) throw badKey(`hashFiles(${args})`, "name at least one glob");
  return globs;
}

/** Pure: hashFiles over snapshot entries. */
export function hashFiles(entries: readonly SnapshotEntry[], globs: readonly string[]): string {
  const isMatch = picomatch([...globs], { dot: true });
  const hash = createHash("sha256");
  let matched = 0;
  for (const entry of entries) {
    if (entry.type !== "file" || !isMatch(entry.path)) continue;
    hash.update(`${entry.path}\0${entry.digest}\n`);
    matched++;
  }
  return matched === 0 ? "" : hash.digest("hex").slice(0, 32);
}

/** Pure: a key template rendered against the snapshot's files. */
export function renderKey(template: string, entries: () => readonly SnapshotEntry[]): string {
  const key = template.replace(EXPRESSION, (_, args: string) => hashFiles(entries(), parseGlobs(args)));
  if (key.includes("{{")) throw badKey(template, "the only expression is {{ hashFiles('glob', …) }}");
  if (!KEY.test(key)) {
    throw badKey(
      template,
      `it renders to ${JSON.stringify(key)}; keys are 1-200 of [A-Za-z0-9._-], starting with a letter or digit`,
    );
  }
  return key;
}

function badKey(template: string, why: string): UsageError {
  return new UsageError(`cache key ${JSON.stringify(template)} is not valid: ${why}`, {
    hint: "write keys like npm-{{ hashFiles('package-lock.json') }} (see docs/dependencies.md)",
  });
}
