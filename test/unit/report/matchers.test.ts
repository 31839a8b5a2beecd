import { describe, expect, it } from "vitest";
import { eslintMatcher } from "../../../src/report/matchers/eslint.js";
import { genericMatcher } from "../../../src/report/matchers/generic.js";
import { goMatcher } from "../../../src/report/matchers/go.js";
import { findProblems } from "../../../src/report/matchers/index.js";
import { pytestMatcher } from "../../../src/report/matchers/pytest.js";
import { rustMatcher } from "../../../src/report/matchers/rust.js";
import { tscMatcher } from "../../../src/report/matchers/tsc.js";

const lines = (s: string) => s.split("\n");

describe("tsc", () => {
  it("reads plain and --pretty diagnostics", () => {
    const log = [
      "src/app.ts(12,5): error TS2322: Type 'string' is not assignable to type 'number'.",
      "src/lib/util.mts:3:10 - error TS2304: Cannot find name 'foo'.",
      "",
      "3 const x = foo;",
      "Found 2 errors in 2 files.",
    ].join("\n");
    expect(tscMatcher(lines(log))).toEqual([
      {
        file: "src/app.ts",
        line: 12,
        column: 5,
        severity: "error",
        message: "Type 'string' is not assignable to type 'number'.",
        title: "tsc TS2322",
      },
      {
        file: "src/lib/util.mts",
        line: 3,
        column: 10,
        severity: "error",
        message: "Cannot find name 'foo'.",
        title: "tsc TS2304",
      },
    ]);
  });
});

describe("eslint (stylish)", () => {
  it("pairs each entry with the file header above it", () => {
    const log = [
      "",
      "/workspace/snapshot/src/index.js",
      "   1:10  error    'unused' is defined but never used  no-unused-vars",
      "  14:3   warning  Unexpected console statement        no-console",
      "",
      "/workspace/snapshot/src/other.ts",
      "  2:1  error  Parsing error: Unexpected token",
      "",
      "✖ 3 problems (2 errors, 1 warning)",
      "  12:1  error  not an entry: no file header above",
    ].join("\n");
    const found = eslintMatcher(lines(log));
    expect(found.map((p) => [p.file, p.line, p.column, p.severity, p.title])).toEqual([
      ["/workspace/snapshot/src/index.js", 1, 10, "error", "eslint no-unused-vars"],
      ["/workspace/snapshot/src/index.js", 14, 3, "warning", "eslint no-console"],
      ["/workspace/snapshot/src/other.ts", 2, 1, "error", "eslint"],
    ]);
    expect(found[0]!.message).toBe("'unused' is defined but never used");
  });
});

describe("rustc / cargo", () => {
  it("reads compiler errors with their --> location, and test panics", () => {
    const log = [
      "   Compiling demo v0.1.0 (/workspace/snapshot)",
      "error[E0308]: mismatched types",
      " --> src/main.rs:4:18",
      "  |",
      '4 |     let x: u32 = "a";',
      "warning: unused variable: `y`",
      "  --> src/lib.rs:2:9",
      'error: could not compile `demo` (bin "demo") due to 1 previous error',
      "thread 'tests::adds' panicked at src/lib.rs:10:9:",
      "assertion `left == right` failed",
      "thread 'tests::old' panicked at 'boom', src/old.rs:7:5",
    ].join("\n");
    expect(
      rustMatcher(lines(log)).map((p) => [p.file, p.line, p.column, p.severity, p.title, p.message]),
    ).toEqual([
      ["src/main.rs", 4, 18, "error", "rustc E0308", "mismatched types"],
      ["src/lib.rs", 2, 9, "warning", "rustc", "unused variable: `y`"],
      [
        "src/lib.rs",
        10,
        9,
        "error",
        "cargo test",
        "test tests::adds panicked: assertion `left == right` failed",
      ],
      ["src/old.rs", 7, 5, "error", "cargo test", "test tests::old panicked: boom"],
    ]);
  });
});

describe("go", () => {
  it("reads test failures under --- FAIL and build errors", () => {
    const log = [
      "=== RUN   TestAdd",
      "    add_test.go:12: Add(1, 2) = 4; want 3",
      "--- FAIL: TestAdd (0.00s)",
      "    add_test.go:15: Add(2, 2) = 5; want 4",
      "FAIL",
      "FAIL\texample.com/demo/calc\t0.002s",
      "# example.com/demo/cmd",
      "./main.go:12:5: undefined: frobnicate",
    ].join("\n");
    expect(goMatcher(lines(log)).map((p) => [p.file, p.line, p.column, p.title, p.message])).toEqual([
      ["add_test.go", 15, undefined, "go test", "TestAdd: Add(2, 2) = 5; want 4"],
      ["./main.go", 12, 5, "go build", "undefined: frobnicate"],
    ]);
  });
});

describe("pytest", () => {
  it("takes the location line and the E lines above it", () => {
    const log = [
      "    def test_add():",
      ">       assert add(1, 2) == 4",
      "E       assert 3 == 4",
      "E        +  where 3 = add(1, 2)",
      "",
      "tests/test_calc.py:7: AssertionError",
      "=========================== short test summary info ===========================",
      "FAILED tests/test_calc.py::test_add - assert 3 == 4",
    ].join("\n");
    expect(pytestMatcher(lines(log))).toEqual([
      {
        file: "tests/test_calc.py",
        line: 7,
        severity: "error",
        message: "assert 3 == 4\n+  where 3 = add(1, 2)",
        title: "pytest AssertionError",
      },
    ]);
  });
});

describe("generic file:line:col: error", () => {
  it("reads gcc/clang style errors and warnings", () => {
    const log = [
      "src/main.c:3:5: error: implicit declaration of function 'foo'",
      "include/x.h:9:1: warning: unused parameter 'y' [-Wunused-parameter]",
      "lib/a.c:1:1: fatal error: missing.h: No such file or directory",
      "note: not a diagnostic",
      "http://example.com:80:1: something else",
    ].join("\n");
    expect(genericMatcher(lines(log)).map((p) => [p.file, p.line, p.column, p.severity])).toEqual([
      ["src/main.c", 3, 5, "error"],
      ["include/x.h", 9, 1, "warning"],
      ["lib/a.c", 1, 1, "error"],
    ]);
  });
});

describe("findProblems", () => {
  it("strips colours first and deduplicates", () => {
    const log = "\u001b[31msrc/a.c:1:2: error: bad\u001b[0m\nsrc/a.c:1:2: error: bad\n";
    expect(findProblems(log)).toHaveLength(1);
  });
});
