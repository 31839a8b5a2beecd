import { execFile } from "node:child_process";
import { cp, mkdir, mkdtemp, readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { commands } from "../../../src/cli/commands/index.js";
import { type CliIO, type Command, main } from "../../../src/cli/main.js";
import { InfrastructureError, UsageError } from "../../../src/errors/index.js";
import { PlanRecord } from "../../../src/schema/index.js";
import { createStateStore } from "../../../src/store/index.js";
import { sampleRun } from "../pages/fixtures.js";

const REPO = path.join(import.meta.dirname, "../../..");
const BIN = path.join(REPO, "bin/pikaci.js");
const FIXTURES = path.join(REPO, "test/fixtures/configs");
const exec = promisify(execFile);

/** Run the real CLI process; exit code instead of a throw. */
async function cli(args: string[], cwd = REPO, env: NodeJS.ProcessEnv = {}) {
  try {
    const { stdout, stderr } = await exec(process.execPath, [BIN, ...args], {
      cwd,
      env: { ...process.env, ...env },
    });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

/** Run `main` in-process with captured streams. */
async function run(argv: string[], { cwd = REPO, env = {} }: { cwd?: string; env?: NodeJS.ProcessEnv } = {}) {
  let stdout = "";
  let stderr = "";
  const io: CliIO = {
    stdout: { write: (s: string) => (stdout += s) },
    stderr: { write: (s: string) => (stderr += s) },
    env,
    cwd,
    isTTY: false,
  };
  const code = await main(argv, io);
  return { code, stdout, stderr };
}

async function listTree(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries.map((e) => path.relative(dir, path.join(e.parentPath, e.name))).sort();
}

let tmp: string;
beforeAll(async () => {
  tmp = await mkdtemp(path.join(tmpdir(), "pikaci-cli-"));
});
afterAll(async () => {
  await rm(tmp, { recursive: true, force: true });
});

describe("the real pikaci process", () => {
  it("validate exits 2 with file:line:col for a misspelt key", async () => {
    const { code, stdout, stderr } = await cli([
      "validate",
      "--config",
      "test/fixtures/configs/misspelt.yml",
    ]);
    expect(code).toBe(2);
    expect(stdout).toBe("");
    expect(stderr).toContain(
      "test/fixtures/configs/misspelt.yml:4:5: unknown key `comand` (did you mean `command`?)",
    );
  });

  it("validate exits 0 on this repository's own .github/pikaci.yml", async () => {
    const { code, stdout } = await cli(["validate"]);
    expect(code).toBe(0);
    expect(stdout).toMatch(/^ok: 4 lanes/);
  });

  it("plan --changed docs/x.md prints the selection and plan, and writes no file", async () => {
    const cwd = path.join(tmp, "repo");
    await mkdir(path.join(cwd, ".github"), { recursive: true });
    await cp(path.join(FIXTURES, "valid.yml"), path.join(cwd, ".github/pikaci.yml"));
    const state = path.join(tmp, "state");
    await mkdir(state);
    const before = { cwd: await listTree(cwd), state: await listTree(state) };

    const { code, stdout, stderr } = await cli(["plan", "--changed", "docs/x.md"], cwd, {
      PIKACI_STATE_ROOT: state,
    });
    expect(stderr).toBe("");
    expect(code).toBe(0);
    const out = JSON.parse(stdout) as {
      selection: Array<{ lane_id: string; selected: boolean }>;
      plan: unknown;
    };
    expect(out.selection.map((s) => [s.lane_id, s.selected])).toEqual([
      ["unit", false],
      ["docs", true],
      ["always", true],
    ]);
    const plan = PlanRecord.parse(out.plan);
    expect(plan.run_id).toBeNull();
    expect(plan.created_at).toBeNull();
    expect(plan.nodes.map((n) => n.id)).toEqual(["prepare-snapshot", "execute-docs", "execute-always"]);

    expect({ cwd: await listTree(cwd), state: await listTree(state) }).toEqual(before);
  });

  it("--help lists the commands; --version prints the version", async () => {
    const help = await cli(["--help"]);
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/^\s+validate\s+/m);
    expect(help.stdout).toMatch(/^\s+plan\s+/m);
    const version = await cli(["--version"]);
    expect(version.stdout.trim()).toMatch(/^\d+\.\d+\.\d+/);
  });
});

describe("validate", () => {
  it.each([
    ["misspelt.yml", "misspelt.yml:4:5: unknown key `comand`"],
    ["wrong-type.yml", "wrong-type.yml:5:18: `lanes[0].run_as_root`: expected a boolean"],
    ["duplicate-id.yml", "duplicate-id.yml:7:9: duplicate lane id `unit` (first declared at line 3"],
    ["bad-yaml.yml", "bad-yaml.yml:5:3: invalid YAML"],
    ["missing-lanes.yml", "missing-lanes.yml:1:1: missing required key `lanes`"],
  ])("%s → exit 2 with the location", async (name, expected) => {
    const { code, stderr } = await run(["validate", "--config", name], { cwd: FIXTURES });
    expect(code).toBe(2);
    expect(stderr.split("\n")[0]).toContain(expected);
  });

  it("prints every issue of a file, one per line", async () => {
    const { code, stderr } = await run(["validate", "-c", "many-issues.yml"], { cwd: FIXTURES });
    expect(code).toBe(2);
    const lines = stderr.trim().split("\n");
    expect(lines.slice(0, -1).map((l) => l.split(": ")[0])).toEqual([
      "many-issues.yml:3:3",
      "many-issues.yml:6:14",
      "many-issues.yml:7:13",
      "many-issues.yml:10:20",
      "many-issues.yml:11:9",
      "many-issues.yml:12:21",
    ]);
    expect(lines.at(-1)).toBe("6 problem(s) found");
  });

  it("names the fix when the config file is missing", async () => {
    const { code, stderr } = await run(["validate"], { cwd: tmp });
    expect(code).toBe(2);
    expect(stderr).toContain("config file not found: .github/pikaci.yml");
    expect(stderr).toContain("create .github/pikaci.yml or pass --config");
  });

  it("counts lanes on success", async () => {
    const { code, stdout } = await run(["validate", "--config", "valid.yml"], { cwd: FIXTURES });
    expect(code).toBe(0);
    expect(stdout).toBe("ok: 3 lanes (valid.yml)\n");
  });
});

describe("plan", () => {
  const plan = async (args: string[]) => {
    const result = await run(["plan", "--config", "valid.yml", ...args], { cwd: FIXTURES });
    return { ...result, json: result.code === 0 ? JSON.parse(result.stdout) : null };
  };
  const selected = (json: { selection: Array<{ lane_id: string; selected: boolean }> }) =>
    json.selection.filter((s) => s.selected).map((s) => s.lane_id);

  it("without --changed selects every lane and says change detection is unavailable", async () => {
    const { json } = await plan([]);
    expect(selected(json)).toEqual(["unit", "docs", "always"]);
    expect(json.selection[0].reason).toBe("change detection unavailable; running every lane");
    expect(json.plan.changed_files).toBeNull();
  });

  it("accepts --changed repeatedly", async () => {
    const { json } = await plan(["--changed", "docs/a.md", "--changed", "src/b.ts"]);
    expect(selected(json)).toEqual(["unit", "docs", "always"]);
    expect(json.plan.changed_files).toEqual(["docs/a.md", "src/b.ts"]);
  });

  it("selects every lane when the config file itself changed", async () => {
    const { json } = await plan(["--changed", "valid.yml"]);
    expect(selected(json)).toEqual(["unit", "docs", "always"]);
    expect(
      json.selection.every((s: { reason: string }) => /config changed|no path filters/.test(s.reason)),
    ).toBe(true);
  });

  it("--lane restricts the plan; an unknown lane is a usage error listing the valid ones", async () => {
    expect(selected((await plan(["--lane", "docs"])).json)).toEqual(["docs"]);
    const bad = await plan(["--lane", "nope"]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain("unknown lane: nope");
    expect(bad.stderr).toContain("valid lanes: unit, docs, always");
  });

  it("rejects --all with --changed", async () => {
    const { code, stderr } = await plan(["--all", "--changed", "x"]);
    expect(code).toBe(2);
    expect(stderr).toContain("contradict");
  });
});

describe("logs", () => {
  async function recordedRun() {
    const root = await mkdtemp(path.join(tmp, "logs-"));
    const store = createStateStore({ root });
    const record = sampleRun(2);
    await store.writeRun(record);
    for (const job of record.jobs)
      await store.appendLog(record.run_id, job.lane_id, "guest", `out of ${job.lane_id}\n`);
    return { root, record, lanes: record.jobs.map((job) => job.lane_id) };
  }

  it("--lane prints one lane's logs; --job is its older alias, with a note on stderr", async () => {
    const { root, record, lanes } = await recordedRun();
    const byLane = await run(["logs", record.run_id, "--lane", lanes[1]!, "--state-root", root]);
    expect(byLane).toMatchObject({ code: 0, stderr: "" });
    expect(byLane.stdout).toBe(`==> ${lanes[1]} guest.log <==\nout of ${lanes[1]}\n`);
    const byJob = await run(["logs", record.run_id, "--job", lanes[1]!, "--state-root", root]);
    expect(byJob.stdout).toBe(byLane.stdout);
    expect(byJob.stderr).toBe("pikaci logs: --job is an alias of --lane; use --lane\n");
  });

  it("an unknown lane, or --lane and --job that disagree, is a usage error", async () => {
    const { root, record, lanes } = await recordedRun();
    const unknown = await run(["logs", record.run_id, "--lane", "nope", "--state-root", root]);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain(`run ${record.run_id} has no lane \`nope\``);
    expect(unknown.stderr).toContain(`lanes: ${lanes.join(", ")}`);
    const both = await run([
      "logs",
      record.run_id,
      "--lane",
      lanes[0]!,
      "--job",
      lanes[1]!,
      "--state-root",
      root,
    ]);
    expect(both.code).toBe(2);
    expect(both.stderr).toContain("--job is an alias of --lane; give one of them");
  });
});

describe("main", () => {
  it.each([[[]], [["--help"]], [["-h"]]])("%j prints usage and exits 0", async (argv) => {
    const { code, stdout } = await run(argv);
    expect(code).toBe(0);
    expect(stdout).toContain("Usage: pikaci <command>");
    expect(stdout).toContain("validate");
  });

  it("prints a command's usage for `<cmd> --help`, which documents the no --changed case", async () => {
    const { code, stdout } = await run(["plan", "--help"]);
    expect(code).toBe(0);
    expect(stdout).toContain("Usage: pikaci plan");
    expect(stdout).toContain("change detection unavailable");
  });

  it("an unknown flag is a usage error pointing at the command's help", async () => {
    const { code, stderr } = await run(["plan", "--bogus"]);
    expect(code).toBe(2);
    expect(stderr).toContain("Unknown option '--bogus'");
    expect(stderr).toContain("pikaci plan --help");
  });

  it("an unknown command suggests the close one", async () => {
    const { code, stderr } = await run(["valdate"]);
    expect(code).toBe(2);
    expect(stderr).toContain("did you mean `pikaci validate`?");
  });

  it("an unreadable config path is reported, not thrown", async () => {
    const { code, stderr } = await run(["validate", "--config", "."], { cwd: FIXTURES });
    expect(code).toBe(2);
    expect(stderr).toContain("config path is a directory");
  });
});

describe("the error boundary", () => {
  const throwing = (error: unknown): Command => ({
    name: "explode",
    summary: "test only",
    usage: "Usage: pikaci explode",
    run: async () => {
      throw error;
    },
  });

  async function runWith(error: unknown, env: NodeJS.ProcessEnv = {}) {
    commands.push(throwing(error));
    try {
      return await run(["explode"], { env });
    } finally {
      commands.pop();
    }
  }

  it("InfrastructureError → exit 1, says infrastructure error, with the hint", async () => {
    const { code, stderr } = await runWith(new InfrastructureError("ssh refused", { hint: "start sshd" }));
    expect(code).toBe(1);
    expect(stderr).toBe("infrastructure error: ssh refused\n  hint: start sshd\n");
  });

  it("UsageError → exit 2", async () => {
    expect((await runWith(new UsageError("bad"))).code).toBe(2);
  });

  it("anything else → exit 1 with the message, the stack only with PIKACI_DEBUG=1", async () => {
    const plain = await runWith(new Error("boom"));
    expect(plain).toMatchObject({ code: 1, stderr: "error: boom\n" });
    const debug = await runWith(new Error("boom"), { PIKACI_DEBUG: "1" });
    expect(debug.code).toBe(1);
    expect(debug.stderr).toContain("at ");
  });
});
