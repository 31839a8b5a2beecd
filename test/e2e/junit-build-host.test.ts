import { execFileSync, spawn } from "node:child_process";
import { mkdir, mkdtemp, readFile, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { renderRunPage } from "../../src/pages/run-page.js";
import { RunRecord } from "../../src/schema/index.js";
import { type ArtifactStandIn, readZip, startArtifactStandIn } from "../helpers/artifact-standin.js";
import { type GitHubStandIn, startGitHubStandIn } from "../helpers/github-standin.js";
import { requireTestHost } from "./helpers/test-host.js";

/**
 * Issue 12's acceptance: a lane on the real build host runs bats (a real JUnit-writing test tool,
 * in the Debian test image) in a read-only workspace; two tests fail. The Action (dist/, Node 24)
 * against a GitHub stand-in must conclude the check run with the per-test title, both failures in
 * the summary and annotations at the failing lines; the uploaded artifact holds the XML; the run
 * page built from the uploaded run.json lists both failures.
 */
const ROOT = path.resolve(import.meta.dirname, "../..");
const TOKEN = "ghs_e2eJunitTokenThatMustNeverLeak012345";

const BATS = `#!/usr/bin/env bats

@test "adds" {
  [ "$((1 + 1))" -eq 2 ]
}

@test "subtracts wrongly" {
  result=$((5 - 3))
  [ "$result" -eq 1 ]
}

@test "multiplies" {
  [ "$((2 * 3))" -eq 6 ]
}

@test "divides wrongly" {
  echo "dividing"
  [ "$((6 / 3))" -eq 3 ]
}
`;

const CONFIG = `version: 1
lanes:
  - id: bats
    # --formatter, not --report-formatter: bats writes the latter from a process it does not wait
    # for, so the report can still be half-written when bats exits (and the runner ends the group).
    command: bats --formatter junit test/calc.bats > "$PIKACI_OUTPUT_DIR/report.xml"
    reports:
      - junit: $PIKACI_OUTPUT_DIR/*.xml
`;

const host = requireTestHost();

describe.skipIf(!host)("JUnit results on the real build host (Action, Node 24)", () => {
  let github: GitHubStandIn;
  let artifacts: ArtifactStandIn;
  beforeAll(async () => {
    execFileSync(process.execPath, [path.join(ROOT, "scripts/bundle.mjs")], { cwd: ROOT, stdio: "pipe" });
    github = await startGitHubStandIn({});
    artifacts = await startArtifactStandIn();
  }, 120_000);
  afterAll(async () => {
    await github?.close();
    await artifacts?.close();
  });

  it("shows the failed tests in the check run, the artifact and the run page", async () => {
    const dir = await mkdtemp(path.join(tmpdir(), "pikaci-junit-e2e-"));
    const workspace = path.join(dir, "repo");
    await mkdir(path.join(workspace, ".github"), { recursive: true });
    await mkdir(path.join(workspace, "test"), { recursive: true });
    await mkdir(path.join(dir, "temp"), { recursive: true });
    await writeFile(path.join(workspace, ".github/pikaci.yml"), CONFIG);
    await writeFile(path.join(workspace, "test/calc.bats"), BATS);
    const files = Object.fromEntries(
      ["output", "summary", "state", "event"].map((f) => [f, path.join(dir, f)]),
    ) as Record<"output" | "summary" | "state" | "event", string>;
    for (const f of Object.values(files)) await writeFile(f, f === files.event ? "{}" : "");
    const node24 = execFileSync("bash", [path.join(ROOT, "scripts/node24.sh")], { encoding: "utf8" })
      .trim()
      .split("\n")
      .pop()!;
    const env: Record<string, string> = {
      PATH: process.env.PATH ?? "/usr/bin:/bin",
      HOME: dir,
      GITHUB_ACTIONS: "true",
      GITHUB_API_URL: github.url,
      GITHUB_SERVER_URL: "https://github.com",
      GITHUB_REPOSITORY: "octo/demo",
      GITHUB_RUN_ID: "4343",
      GITHUB_SHA: "d00d".padEnd(40, "0"),
      GITHUB_EVENT_NAME: "workflow_dispatch",
      GITHUB_EVENT_PATH: files.event,
      GITHUB_WORKSPACE: workspace,
      GITHUB_OUTPUT: files.output,
      GITHUB_STEP_SUMMARY: files.summary,
      GITHUB_STATE: files.state,
      RUNNER_TEMP: path.join(dir, "temp"),
      ACTIONS_RESULTS_URL: `${artifacts.url}/`,
      ACTIONS_RUNTIME_TOKEN: artifacts.runtimeToken,
      INPUT_TOKEN: TOKEN,
      INPUT_HOST: `ssh://${host!.sshUser}@${host!.sshHost}:${host!.sshPort}`,
      "INPUT_SSH-KEY": await readFile(host!.sshKey, "utf8"),
      "INPUT_SSH-KNOWN-HOSTS": await readFile(host!.knownHostsFile, "utf8"),
      "INPUT_CHECK-RUNS": JSON.stringify({ bats: 301 }),
      "INPUT_DETAILS-URL": "https://ci.example/runs/signed",
      INPUT_IMAGE: host!.imageDebian,
    };
    const result = await new Promise<{ code: number | null; stderr: string }>((resolve) => {
      const child = spawn(node24, [path.join(ROOT, "dist/index.js")], { cwd: workspace, env });
      let stderr = "";
      child.stderr.on("data", (c: Buffer) => (stderr += c.toString()));
      child.stdout.on("data", () => {});
      child.on("close", (code) => resolve({ code, stderr }));
    });
    expect(result.code, result.stderr).toBe(1);

    const run = github.checkRuns.get(301)!;
    const final = run.updates.find((u) => u.status === "completed")!;
    const output = final.output as {
      title: string;
      summary: string;
      annotations?: Record<string, unknown>[];
    };
    expect(final.conclusion).toBe("failure");
    expect(output.title).toMatch(/^2 of 4 tests failed in \d/);
    expect(output.summary).toContain("### Failed tests (2)");
    expect(output.summary).toMatch(
      /\| calc\.bats \| subtracts wrongly \| \(in test file test\/calc\.bats, line 9\)/,
    );
    expect(output.summary).toMatch(
      /\| calc\.bats \| divides wrongly \| \(in test file test\/calc\.bats, line 18\)/,
    );
    const annotations = run.updates.flatMap(
      (u) => (u.output as { annotations?: Record<string, unknown>[] } | undefined)?.annotations ?? [],
    );
    const failures = annotations.filter((a) => a.annotation_level === "failure");
    expect(failures.map((a) => [a.path, a.start_line, a.title])).toEqual([
      ["test/calc.bats", 9, "calc.bats › subtracts wrongly"],
      ["test/calc.bats", 18, "calc.bats › divides wrongly"],
    ]);

    const summary = await readFile(files.summary, "utf8");
    expect(summary).toContain("**Tests:** 2 of 4 failed, in 1 lane");

    expect([...artifacts.artifacts.keys()]).toEqual([expect.stringMatching(/^pikaci-/)]);
    const zip = readZip([...artifacts.artifacts.values()][0]!.zip);
    const xml = zip.get("jobs/bats/artifacts/outputs/report.xml")?.toString("utf8") ?? "";
    expect(xml).toContain('<testcase classname="calc.bats" name="subtracts wrongly"');
    const record = RunRecord.parse(JSON.parse(zip.get("run.json")!.toString("utf8")));
    const job = record.jobs[0]!;
    expect(job.tests?.counts).toMatchObject({ total: 4, passed: 2, failed: 2, skipped: 0 });
    expect(job.artifacts?.files).toEqual([{ name: "outputs/report.xml", bytes: xml.length, report: true }]);

    const page = renderRunPage({ run: record, sig: "sig", logs: new Map(), now: Date.now() });
    expect(page).toContain('id="tests"');
    expect(page).toContain("subtracts wrongly");
    expect(page).toContain("divides wrongly");
    expect(page).toContain("test/calc.bats:18");
  });
});
