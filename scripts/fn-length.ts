/**
 * Lists production functions (src/, app/src/) over 60 lines, longest first. With `--check` it
 * exits 1 when one is over 80 lines or more than 5 are over 60 (issue 17's limits), naming each
 * offender and the fix. Other directories or files can be given instead: `npm run fn-length -- src/ssh`.
 */
import { readdir, readFile, stat } from "node:fs/promises";
import path from "node:path";
import {
  type FunctionLength,
  formatRow,
  judgeLengths,
  LENGTH_RULES,
  measureFunctions,
} from "./lib/fn-length.js";

const REPO = path.join(import.meta.dirname, "..");
const PRODUCTION_DIRS = ["src", "app/src"];

const isProduction = (file: string) =>
  file.endsWith(".ts") && !file.endsWith(".d.ts") && !file.endsWith(".test.ts");

/** The production TypeScript files at `target`, a directory (walked) or a single file. */
async function sourceFiles(target: string): Promise<string[]> {
  if (!(await stat(path.join(REPO, target))).isDirectory()) return isProduction(target) ? [target] : [];
  const entries = await readdir(path.join(REPO, target));
  const nested = await Promise.all(entries.map((name) => sourceFiles(path.posix.join(target, name))));
  return nested.flat().sort();
}

const args = process.argv.slice(2);
const check = args.includes("--check");
const dirs = args.filter((arg) => !arg.startsWith("--"));
const files = (await Promise.all((dirs.length > 0 ? dirs : PRODUCTION_DIRS).map(sourceFiles))).flat();
const rows: FunctionLength[] = [];
for (const file of files) rows.push(...measureFunctions(file, await readFile(path.join(REPO, file), "utf8")));

const verdict = judgeLengths(rows);
for (const row of verdict.overSoft) console.log(formatRow(row));
console.log(
  `${verdict.overSoft.length} over ${LENGTH_RULES.soft}; ${verdict.overHard.length} over ${LENGTH_RULES.hard} (${rows.length} functions in ${files.length} files)`,
);
if (check && verdict.problems.length > 0) {
  for (const problem of verdict.problems) console.error(`fn-length: ${problem}`);
  process.exit(1);
}
