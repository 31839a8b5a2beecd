import { readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { parseConfig, resolveLane, resolveLanes } from "../../../src/config/index.js";
import { ConfigError, type ConfigIssue, UsageError } from "../../../src/errors/index.js";
import {
  DEFAULT_IMAGE,
  DEFAULT_INFRA_RETRIES,
  DEFAULT_LOG_LIMIT_BYTES,
  DEFAULT_TIMEOUT_SECS,
  parseByteSize,
} from "../../../src/schema/index.js";

const FIXTURES = path.join(import.meta.dirname, "../../fixtures/configs");

function fixture(name: string): { text: string; file: string } {
  const file = `configs/${name}`;
  return { text: readFileSync(path.join(FIXTURES, name), "utf8"), file };
}

function issuesOf(text: string, file = "pikaci.yml"): ConfigIssue[] {
  try {
    parseConfig(text, file);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as ConfigError).issues;
  }
  throw new Error("expected a ConfigError");
}

/** The text at line:col, so a test shows what the position really points at. */
function textAt(text: string, issue: ConfigIssue, length: number): string {
  return (text.split("\n")[issue.line - 1] ?? "").slice(issue.col - 1, issue.col - 1 + length);
}

describe("parseConfig: fixtures", () => {
  const cases: Array<{ name: string; expected: Array<Partial<ConfigIssue> & { at: string }> }> = [
    {
      name: "misspelt.yml",
      expected: [
        { line: 4, col: 5, at: "comand", message: "unknown key `comand`", hint: "did you mean `command`?" },
      ],
    },
    {
      name: "wrong-type.yml",
      expected: [
        {
          line: 5,
          col: 18,
          at: '"yes"',
          message: "`lanes[0].run_as_root`: expected a boolean (true or false), got a string",
        },
      ],
    },
    {
      name: "duplicate-id.yml",
      expected: [{ line: 7, col: 9, at: "unit", message: "duplicate lane id `unit`" }],
    },
    {
      name: "bad-yaml.yml",
      expected: [{ line: 5, col: 3, at: "-" }],
    },
    {
      name: "missing-lanes.yml",
      expected: [{ line: 1, col: 1, at: "version", message: "missing required key `lanes`" }],
    },
  ];

  it.each(cases)("$name", ({ name, expected }) => {
    const { text, file } = fixture(name);
    const issues = issuesOf(text, file);
    expect(issues).toHaveLength(expected.length);
    expected.forEach(({ at, ...want }, index) => {
      const issue = issues[index]!;
      expect(issue).toMatchObject({ file, ...want });
      expect(textAt(text, issue, at.length)).toBe(at);
    });
  });

  it("names the line of the first declaration of a duplicate id", () => {
    const [issue] = issuesOf(fixture("duplicate-id.yml").text);
    expect(issue!.hint).toContain("first declared at line 3");
  });

  it("reports bad YAML as such, with the parser's reason", () => {
    const [issue] = issuesOf(fixture("bad-yaml.yml").text);
    expect(issue!.message).toMatch(/^invalid YAML: .*end with a \]/);
  });

  it("reports every issue of a file with several, sorted by position", () => {
    const { text } = fixture("many-issues.yml");
    const issues = issuesOf(text);
    expect(issues.map((i) => [i.line, i.col, textAt(text, i, 6)])).toEqual([
      [3, 3, "timout"],
      [6, 14, "42"],
      [7, 13, '"src/['],
      [10, 20, "vmm"],
      [11, 9, "unit"],
      [12, 21, "3]"],
    ]);
    expect(issues[0]!.hint).toBe("did you mean `timeout`?");
    expect(issues[1]!.message).toBe("`lanes[0].command`: expected a string or a list, got a number");
    expect(issues[2]!.message).toContain("invalid glob `src/[a`");
    expect(issues[3]).toMatchObject({ hint: "did you mean `vm`?" });
    expect(issues[5]!.message).toBe("`lanes[2].command[1]`: expected a string, got a number");
  });
});

describe("parseConfig: inline cases", () => {
  const cases: Array<{
    title: string;
    yaml: string;
    line: number;
    col: number;
    message: RegExp;
    hint?: RegExp;
  }> = [
    {
      title: "unknown top-level key without a close match lists the allowed keys",
      yaml: "version: 1\nzzzzzz: true\nlanes: [{id: a, command: x}]\n",
      line: 2,
      col: 1,
      message: /unknown key `zzzzzz`/,
      hint: /allowed keys: version, on, defaults, workflow, lanes/,
    },
    {
      title: "a transposition is a typo too",
      yaml: "version: 1\nlanes:\n  - id: a\n    command: x\n    ptahs: [a]\n",
      line: 5,
      col: 5,
      message: /unknown key `ptahs`/,
      hint: /did you mean `paths`\?/,
    },
    {
      title: "a number where a string is expected",
      yaml: "version: 1\nlanes:\n  - id: 12\n    command: x\n",
      line: 3,
      col: 9,
      message: /`lanes\[0\]\.id`: expected a string, got a number/,
    },
    {
      title: "a wrong version",
      yaml: "version: 2\nlanes: [{id: a, command: x}]\n",
      line: 1,
      col: 10,
      message: /`version`: expected 1, got 2/,
    },
    {
      title: "a bad duration",
      yaml: "version: 1\nlanes:\n  - id: a\n    command: x\n    timeout: soon\n",
      line: 5,
      col: 14,
      message: /expected seconds \(e\.g\. 1800\) or a duration/,
    },
    {
      title: "an empty lanes list",
      yaml: "version: 1\nlanes: []\n",
      line: 2,
      col: 8,
      message: /declare at least one lane/,
    },
    {
      title: "an empty file",
      yaml: "",
      line: 1,
      col: 1,
      message: /expected a mapping, got an empty value/,
    },
    {
      title: "a path filter anchored at / can never match",
      yaml: "version: 1\nlanes:\n  - id: a\n    command: x\n    paths: [/docs/**]\n",
      line: 5,
      col: 13,
      message: /starts with "\/"/,
      hint: /write `docs\/\*\*`/,
    },
    {
      title: "a bad env var name points at the key",
      yaml: "version: 1\ndefaults:\n  env:\n    1BAD: x\nlanes: [{id: a, command: x}]\n",
      line: 4,
      col: 5,
      message: /invalid key `1BAD`: environment variable names are/,
    },
    {
      title: "a typo in a nested list item",
      yaml: "version: 1\nlanes:\n  - id: a\n    command: x\n    caches:\n      - nmae: c\n        path: /c\n",
      line: 6,
      col: 9,
      message: /unknown key `nmae`/,
      hint: /did you mean `name`\?/,
    },
    {
      title: "a duplicate YAML key",
      yaml: "version: 1\nversion: 1\nlanes: [{id: a, command: x}]\n",
      line: 2,
      col: 1,
      message: /invalid YAML: Map keys must be unique/,
    },
  ];

  it.each(cases)("$title", ({ yaml, line, col, message, hint }) => {
    const issues = issuesOf(yaml);
    expect(issues).toHaveLength(1);
    expect(issues[0]).toMatchObject({ line, col });
    expect(issues[0]!.message).toMatch(message);
    if (hint) expect(issues[0]!.hint).toMatch(hint);
  });

  it("formats issues as file:line:col: message (hint) in the error message", () => {
    expect(() => parseConfig(fixture("misspelt.yml").text, "x/pikaci.yml")).toThrow(
      "x/pikaci.yml:4:5: unknown key `comand` (did you mean `command`?)",
    );
  });
});

describe("parseByteSize", () => {
  it.each([
    [4096, 4096],
    ["512KiB", 512 * 1024],
    ["100MiB", 100 * 1024 ** 2],
    ["1GiB", 1024 ** 3],
    ["1G", 1024 ** 3],
    ["10MB", 10_000_000],
    ["2 KB", 2000],
    ["77", 77],
  ])("%s → %d bytes", (value, bytes) => {
    expect(parseByteSize(value)).toBe(bytes);
  });
  it.each(["", "MiB", "1.5MiB", "-1", "1TiB", "1 MiB/s"])("%s is not a size", (value) => {
    expect(parseByteSize(value)).toBeUndefined();
  });
});

describe("resolveLanes", () => {
  it("round-trips the valid fixture with defaults applied", () => {
    const config = parseConfig(fixture("valid.yml").text, "valid.yml");
    const lanes = resolveLanes(config);
    expect(lanes.map((l) => l.id)).toEqual(["unit", "docs", "always"]);
    expect(lanes[0]).toEqual({
      id: "unit",
      title: "Unit tests",
      paths: ["src/**", "test/**"],
      execute: {
        command: "npm ci\nnpm test",
        run_as_root: false,
        timeout_secs: 1200,
        writable_workspace: false,
        image: "pikaci-debian",
        instance_type: "container",
        env: { CI: "true", NODE_ENV: "test" },
        caches: [],
        mounts: [],
        concurrency_group: null,
        infra_retries: DEFAULT_INFRA_RETRIES,
        log_limit_bytes: DEFAULT_LOG_LIMIT_BYTES,
      },
    });
    expect(lanes[1]).toMatchObject({
      title: "docs",
      execute: {
        timeout_secs: 90,
        run_as_root: true,
        instance_type: "vm",
        caches: [{ name: "npm", path: "/root/.npm" }],
        mounts: [{ source: "fixtures", path: "/fixtures" }],
        concurrency_group: "docs",
      },
    });
    expect(lanes[2]!.paths).toEqual([]);
  });

  it("uses pikaci's defaults when the config sets none", () => {
    const lane = resolveLane(parseConfig("version: 1\nlanes: [{id: a, command: x}]\n", "f"), "a");
    expect(lane.execute).toMatchObject({
      timeout_secs: DEFAULT_TIMEOUT_SECS,
      image: DEFAULT_IMAGE,
      instance_type: "container",
      env: {},
    });
  });

  it("applies log_limit from the lane, else from defaults, else 100 MiB", () => {
    const config = parseConfig(
      [
        "version: 1",
        "defaults: { log_limit: 8MiB }",
        "lanes:",
        "  - { id: a, command: x, log_limit: 65536 }",
        "  - { id: b, command: x }",
        "",
      ].join("\n"),
      "f",
    );
    expect(resolveLane(config, "a").execute.log_limit_bytes).toBe(65_536);
    expect(resolveLane(config, "b").execute.log_limit_bytes).toBe(8 * 1024 * 1024);
    const bare = parseConfig("version: 1\nlanes: [{id: a, command: x}]\n", "f");
    expect(resolveLane(bare, "a").execute.log_limit_bytes).toBe(DEFAULT_LOG_LIMIT_BYTES);
    expect(DEFAULT_LOG_LIMIT_BYTES).toBe(100 * 1024 * 1024);
  });

  it("rejects a log_limit below 4KiB or without a known unit, naming the fix", () => {
    for (const bad of ["100", "1 MiB/s", "12XB", "0"]) {
      expect(
        () => parseConfig(`version: 1\nlanes: [{id: a, command: x, log_limit: "${bad}"}]\n`, "f"),
        bad,
      ).toThrow(/log_limit|bytes/);
    }
  });

  it("rejects an unknown lane id with the valid ones", () => {
    const config = parseConfig(fixture("valid.yml").text, "valid.yml");
    expect(() => resolveLane(config, "nope")).toThrow(UsageError);
    expect(() => resolveLane(config, "nope")).toThrow(/unknown lane `nope`/);
  });
});
