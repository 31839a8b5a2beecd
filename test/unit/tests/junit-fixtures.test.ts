import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { readLaneReports } from "../../../src/tests/index.js";

const dir = join(import.meta.dirname, "../../fixtures/junit");

async function read(file: string, opts: { guestRoots?: string[]; repoFiles?: string[] } = {}) {
  return readLaneReports({
    files: [{ path: join(dir, file), name: file }],
    roots: { repoRoot: "/nonexistent-repo", guestRoots: opts.guestRoots ?? [] },
    isRepoFile: opts.repoFiles ? (p) => opts.repoFiles!.includes(p) : undefined,
  });
}

const located = (r: Awaited<ReturnType<typeof read>>) =>
  r.failed.map((c) => [c.status, c.name, c.file, c.line]);

describe("JUnit reports written by real tools", () => {
  it("vitest: counts, and the failing lines from its stack", async () => {
    const r = await read("vitest.xml");
    expect(r.warnings).toEqual([]);
    expect(r.counts).toMatchObject({ total: 5, passed: 2, failed: 2, errors: 0, skipped: 1 });
    expect(located(r)).toEqual([
      ["failed", "math > subtracts wrongly", "math.test.ts", 8],
      ["failed", `strings > throws <bad> & "quoted"`, "math.test.ts", 18],
    ]);
    expect(r.failed[0]!.message).toBe("expected 2 to be 1 // Object.is equality");
    expect(r.failed[0]!.suite).toBe("math.test.ts");
  });

  it("jest-junit: absolute paths inside the workspace are made relative; node_modules frames are not used", async () => {
    const r = await read("jest-junit.xml", { guestRoots: ["/tmp/jf/jest"] });
    expect(r.counts).toMatchObject({ total: 4, passed: 1, failed: 2, errors: 0, skipped: 1 });
    expect(located(r)).toEqual([
      ["failed", "calc subtracts wrongly", "calc.test.js", 6],
      ["failed", "calc throws", "calc.test.js", 10],
    ]);
    expect(r.failed[1]!.message).toBe("Error: boom <bad> & 'quoted'");
  });

  it("pytest (xunit1): failures and a setup error, at the assertion's line", async () => {
    const r = await read("pytest-xunit1.xml");
    expect(r.counts).toMatchObject({ total: 6, passed: 2, failed: 2, errors: 1, skipped: 1 });
    expect(located(r)).toEqual([
      ["failed", "test_subtracts_wrongly", "tests/test_calc.py", 9],
      ["failed", "test_raises", "tests/test_calc.py", 18],
      ["error", "test_uses_broken", "tests/test_calc.py", 23],
    ]);
    expect(r.failed[0]!.message).toBe("AssertionError: subtraction is off\nassert (5 - 3) == 1");
  });

  it("pytest (xunit2, no file attribute): the trace still locates the failure", async () => {
    const r = await read("pytest-xunit2.xml");
    expect(r.counts).toMatchObject({ total: 6, passed: 2, failed: 2, errors: 1, skipped: 1 });
    expect(r.failed.map((c) => c.line)).toEqual([9, 18, 23]);
  });

  it("bats: its '(in test file …, line N)' locates the failing command", async () => {
    const r = await read("bats.xml");
    expect(r.counts).toMatchObject({ total: 4, passed: 1, failed: 2, errors: 0, skipped: 1 });
    expect(located(r)).toEqual([
      ["failed", "subtracts wrongly", "calc.bats", 9],
      ["failed", "prints & fails <loudly>", "calc.bats", 18],
    ]);
  });

  it("surefire: JVM frames map to the source file the repository holds", async () => {
    const r = await read("surefire.xml", { repoFiles: ["src/test/java/calc/CalcTest.java"] });
    expect(r.counts).toMatchObject({ total: 4, passed: 1, failed: 1, errors: 1, skipped: 1 });
    expect(located(r)).toEqual([
      ["failed", "subtractsWrongly", "src/test/java/calc/CalcTest.java", 16],
      ["error", "throwsError", "src/test/java/calc/CalcTest.java", 26],
    ]);
    expect(r.failed[1]!.system_out).toBe("some stdout");
    expect(r.failed[0]!.suite).toBe("calc.CalcTest");
  });

  it("surefire without knowing the repository's files: no guessed annotation path", async () => {
    const r = await read("surefire.xml");
    expect(r.failed.map((c) => c.file)).toEqual([null, null]);
  });

  it("several reports of one lane add up, and the slowest passing cases are kept slowest first", async () => {
    const r = await readLaneReports({
      files: ["vitest.xml", "bats.xml"].map((f) => ({ path: join(dir, f), name: f })),
      roots: { repoRoot: "/nonexistent-repo" },
    });
    expect(r.reports).toEqual(["vitest.xml", "bats.xml"]);
    expect(r.counts).toMatchObject({ total: 9, failed: 4, skipped: 2, passed: 3 });
    const times = r.slowest.map((c) => c.duration_ms ?? 0);
    expect(times).toEqual([...times].sort((a, b) => b - a));
    expect([r.slowest[0]!.suite, r.slowest[0]!.name, r.slowest[0]!.duration_ms]).toEqual([
      "calc.bats",
      "adds",
      5,
    ]);
  });
});
