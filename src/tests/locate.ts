import { type PathRoots, relativizePath } from "../report/paths.js";
import type { RawTestCase } from "./junit-parse.js";

export interface Location {
  file: string;
  line: number;
}

// "tests/test_calc.py:9: AssertionError", " ❯ math.test.ts:8:19", "at f (/workspace/snapshot/a.js:3:5)"
const PATH_LINE = /(?:^|[\s(❯'"])(\/?(?:[\w.@+~-]+\/)*[\w.@+~-]+\.[A-Za-z][\w]{0,9}):(\d+)(?::\d+)?/gm;
// bats: "(in test file test/calc.bats, line 9)"
const BATS = /\(in test file ([^,\n]+), line (\d+)\)/g;
// JVM frames name a class and a bare file: "at calc.CalcTest.adds(CalcTest.java:16)"
const JVM_FRAME =
  /\bat (?:[\w.$-]+(?:@[\w.-]+)?\/)?((?:[\w$]+\.)*)[\w$]+\.[\w$<>]+\(([\w$]+\.(?:java|kt|scala|groovy)):(\d+)\)/g;
const JVM_SOURCE_ROOTS = ["src/test/java", "src/main/java", "src/test/kotlin", "src/main/kotlin", ""];
/** Directories that are never the repository's own code, even when they sit inside it. */
const VENDORED = /(^|\/)(node_modules|site-packages|dist-packages|\.venv|vendor|\.cargo)\//;

/**
 * Where a failure should be annotated: a location in the failure's text that points into the
 * repository (the assertion's line, which is more precise than where the test starts), preferring
 * one in the test's own file; else the report's `file`/`line` attributes. Null when neither is in
 * the repository.
 */
export function locateFailure(
  testCase: RawTestCase,
  roots: PathRoots,
  /** Whether a repository-relative path is a file of the repository; without it, paths are trusted. */
  isRepoFile?: (path: string) => boolean,
): Location | null {
  const ownFile = testCase.file ? relativizePath(testCase.file, roots) : undefined;
  const text = `${testCase.details ?? ""}\n${testCase.message ?? ""}`;
  const candidates = [...traceLocations(text, roots), ...(isRepoFile ? jvmLocations(text) : [])].filter(
    (c) => !isRepoFile || isRepoFile(c.file),
  );
  const own = ownFile ? candidates.find((c) => c.file === ownFile) : undefined;
  if (own) return own;
  if (candidates[0]) return candidates[0];
  if (ownFile && !VENDORED.test(ownFile)) return { file: ownFile, line: testCase.line ?? 1 };
  return null;
}

function traceLocations(text: string, roots: PathRoots): Location[] {
  const found: Location[] = [];
  // JVM frames name bare files, not paths; they are read by jvmLocations instead.
  const withoutJvm = text.replace(JVM_FRAME, "");
  for (const pattern of [BATS, PATH_LINE]) {
    for (const match of withoutJvm.matchAll(pattern)) {
      const file = relativizePath(match[1] ?? "", roots);
      const line = Number(match[2]);
      if (!file || VENDORED.test(file) || !(line > 0)) continue;
      found.push({ file, line });
    }
  }
  return found;
}

/** JVM frames give a package and a file name; the repository path is found under the usual source roots. */
function jvmLocations(text: string): Location[] {
  const found: Location[] = [];
  for (const match of text.matchAll(JVM_FRAME)) {
    const dir = (match[1] ?? "").replace(/\.$/, "").replaceAll(".", "/");
    for (const root of JVM_SOURCE_ROOTS) {
      found.push({ file: [root, dir, match[2]].filter((part) => part).join("/"), line: Number(match[3]) });
    }
  }
  return found;
}
