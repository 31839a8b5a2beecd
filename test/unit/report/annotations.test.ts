import { describe, expect, it } from "vitest";
import {
  batchAnnotations,
  fitAnnotation,
  laneNotice,
  problemAnnotations,
} from "../../../src/report/annotations.js";
import { byteLength } from "../../../src/report/bytes.js";
import { laneLines } from "../../../src/report/config-lines.js";
import { findProblems } from "../../../src/report/matchers/index.js";
import { relativizePath } from "../../../src/report/paths.js";

const roots = { repoRoot: "/home/runner/work/demo/demo", guestRoots: ["/workspace/snapshot"] };

describe("relativizePath", () => {
  it("makes runner and guest paths relative and drops paths outside the repository", () => {
    expect(relativizePath("/home/runner/work/demo/demo/src/a.ts", roots)).toBe("src/a.ts");
    expect(relativizePath("/workspace/snapshot/crates/x/src/lib.rs", roots)).toBe("crates/x/src/lib.rs");
    expect(relativizePath("./src/../src/b.ts", roots)).toBe("src/b.ts");
    expect(relativizePath("src\\win.ts", roots)).toBe("src/win.ts");
    expect(relativizePath("/root/.cargo/registry/src/serde/lib.rs", roots)).toBeUndefined();
    expect(relativizePath("/usr/include/stdio.h", roots)).toBeUndefined();
    expect(relativizePath("../outside.ts", roots)).toBeUndefined();
    expect(relativizePath("/home/runner/work/demo/demo-other/x.ts", roots)).toBeUndefined();
  });
});

describe("problemAnnotations", () => {
  it("turns 120 compiler errors into 120 failure annotations in 3 batches of at most 50", () => {
    const log = Array.from(
      { length: 120 },
      (_, i) => `src/f${i}.ts(${i + 1},3): error TS2322: bad ${i}`,
    ).join("\n");
    const annotations = problemAnnotations(findProblems(log), roots);
    expect(annotations).toHaveLength(120);
    expect(annotations[7]).toEqual({
      path: "src/f7.ts",
      start_line: 8,
      end_line: 8,
      start_column: 3,
      end_column: 3,
      annotation_level: "failure",
      message: "bad 7",
      title: "tsc TS2322",
    });
    expect(batchAnnotations(annotations).map((b) => b.length)).toEqual([50, 50, 20]);
  });

  it("drops problems outside the repository and masks secrets in messages", () => {
    const log =
      "/usr/include/x.h:1:1: error: nope\n/workspace/snapshot/a.c:2:3: error: token ghs_secretsecret leaked\n";
    const annotations = problemAnnotations(findProblems(log), { ...roots, secrets: ["ghs_secretsecret"] });
    expect(annotations.map((a) => [a.path, a.message])).toEqual([["a.c", "token *** leaked"]]);
  });

  it("applies the resolver and drops what it cannot resolve", () => {
    const log = "--- FAIL: TestX (0.00s)\n    x_test.go:3: boom\n    gone_test.go:4: boom\n";
    const annotations = problemAnnotations(findProblems(log), {
      ...roots,
      resolve: (p) => (p === "x_test.go" ? "pkg/x/x_test.go" : undefined),
    });
    expect(annotations.map((a) => a.path)).toEqual(["pkg/x/x_test.go"]);
  });

  it("fits messages and titles within GitHub's limits", () => {
    const fitted = fitAnnotation({
      path: "a",
      start_line: 1,
      end_line: 2,
      start_column: 1,
      end_column: 4,
      annotation_level: "failure",
      message: "😀".repeat(40_000),
      title: "t".repeat(1000),
    });
    expect(byteLength(fitted.message)).toBeLessThanOrEqual(64 * 1024);
    expect(fitted.title!.length).toBeLessThanOrEqual(255);
    expect(fitted.start_column).toBeUndefined();
  });
});

describe("laneLines + laneNotice", () => {
  it("places each lane's notice on the line of its id", () => {
    const yaml = [
      "version: 1",
      "# comment",
      "lanes:",
      "  - id: check-rust",
      "    command: cargo test",
      "  - command: npm test",
      "    id: check-js",
      "  - id: 123",
      "    command: x",
    ].join("\n");
    const lines = laneLines(yaml);
    expect([...lines]).toEqual([
      ["check-rust", 4],
      ["check-js", 7],
    ]);
    const notice = laneNotice({
      configPath: ".github/pikaci.yml",
      line: 4,
      laneId: "check-rust",
      title: "Passed in 2s",
      message: "m",
    });
    expect(notice).toMatchObject({
      path: ".github/pikaci.yml",
      start_line: 4,
      end_line: 4,
      annotation_level: "notice",
    });
  });

  it("returns nothing for a document without lanes", () => {
    expect(laneLines("- a\n- b\n").size).toBe(0);
    expect(laneLines("version: 1\nlanes: nope\n").size).toBe(0);
  });
});
