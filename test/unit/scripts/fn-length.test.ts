import { describe, expect, it } from "vitest";
import { type FunctionLength, judgeLengths, measureFunctions } from "../../../scripts/lib/fn-length.js";

const body = (n: number) => Array.from({ length: n }, (_, i) => `  step(${i});`).join("\n");

describe("fn-length", () => {
  it("counts declarations, methods, arrows, function expressions and the factories that hold them", () => {
    const source = [
      "/** Doc comments are not counted. */",
      "export function factory() {", // line 2
      "  const inner = () => {", // line 3
      body(2),
      "  };",
      "  return {",
      "    method() {", // line 8
      "      return 1;",
      "    },",
      "    prop: function () {", // line 11
      "      return 2;",
      "    },",
      "  };",
      "}",
      "class Box {",
      "  constructor() {", // line 17
      "    this.n = 0;",
      "  }",
      "  get size() { return 1; }", // line 20
      "}",
      "run(() => 1);", // line 22
    ].join("\n");
    const rows = measureFunctions("x.ts", source).map(({ line, name, lines }) => ({ line, name, lines }));
    expect(rows).toEqual([
      { line: 2, name: "factory", lines: 14 },
      { line: 3, name: "inner", lines: 4 },
      { line: 8, name: "method", lines: 3 },
      { line: 11, name: "prop", lines: 3 },
      { line: 17, name: "constructor", lines: 3 },
      { line: 20, name: "size", lines: 1 },
      { line: 22, name: "<anon>", lines: 1 },
    ]);
  });

  it("measures an outer factory by its full length, not only its closures", () => {
    const source = `export const make = () => {\n${body(70)}\n  return () => {\n${body(5)}\n  };\n};\n`;
    const [outer, inner] = measureFunctions("f.ts", source);
    expect(outer).toMatchObject({ name: "make", line: 1, lines: 79 });
    expect(inner).toMatchObject({ name: "<anon>", lines: 7 });
  });

  const row = (name: string, lines: number): FunctionLength => ({ file: "src/a.ts", line: 1, name, lines });

  it("passes at the limits: 80 lines, and five functions over 60", () => {
    const rows = [row("a", 80), row("b", 61), row("c", 70), row("d", 75), row("e", 62), row("f", 60)];
    const verdict = judgeLengths(rows);
    expect(verdict.problems).toEqual([]);
    expect(verdict.overSoft.map((r) => r.name)).toEqual(["a", "d", "c", "e", "b"]);
  });

  it("fails over 80 lines or with a sixth function over 60, naming the offenders and the fix", () => {
    const tooLong = judgeLengths([row("long", 81)]);
    expect(tooLong.problems).toHaveLength(1);
    expect(tooLong.problems[0]).toContain("src/a.ts:1 long (81)");
    expect(tooLong.problems[0]).toContain("module-level functions");

    const tooMany = judgeLengths(["a", "b", "c", "d", "e", "f"].map((name) => row(name, 61)));
    expect(tooMany.overHard).toEqual([]);
    expect(tooMany.problems).toHaveLength(1);
    expect(tooMany.problems[0]).toMatch(/^6 functions over 60 lines; at most 5/);
  });
});
