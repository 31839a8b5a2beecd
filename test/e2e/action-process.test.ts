import { execFileSync } from "node:child_process";
import { mkdtemp, readdir, readFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { artifactName } from "../../src/action/upload.js";
import { readZip } from "../helpers/artifact-standin.js";
import { CANCEL_POINTS, type CancelOutcome, cancelAt, distribution } from "./helpers/action-cancel.js";
import {
  HEAD_SHA,
  scenario as makeScenario,
  node24,
  parseCommandFile,
  ROOT,
  readHostEnv,
  runAction,
  type Scenario,
  TOKEN,
} from "./helpers/action-harness.js";

/**
 * The Action as GitHub runs it (see helpers/action-harness.ts), under Node 20 and Node 24. Lanes
 * run with the local executor, and — when `.test-host/host.env` describes the real sshd + Incus —
 * on the build host over SSH.
 */
const PR_HEAD_SHA = "beef".padEnd(40, "1");

function nodeBinaries(): [string, string][] {
  return [
    ["node20", process.execPath],
    ["node24", node24()],
  ];
}

const CONFIG = `version: 1
lanes:
  - id: passing
    command: |
      for i in 1 2 3 4 5 6; do echo "step $i"; sleep 0.4; done
      echo "all good"
  - id: failing
    command: |
      echo "src/app.ts(2,7): error TS2322: Type 'string' is not assignable to type 'number'."
      echo "/usr/lib/outside.ts(1,1): error TS1005: outside the repository"
      exit 3
  - id: slow
    timeout: 3s
    command: |
      echo "waiting forever"
      sleep 60
  - id: docs
    paths: ["docs/**"]
    command: echo docs
`;

async function filesUnder(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries.filter((e) => e.isFile()).map((e) => path.join(e.parentPath, e.name));
}

/** Every place a secret could leak to, with `::add-mask::` commands (how secrets are registered) removed. */
async function everythingWritten(s: Scenario, stdout: string, stderr: string): Promise<[string, string][]> {
  const places: [string, string][] = [
    [
      "stdout",
      stdout
        .split("\n")
        .filter((l) => !l.startsWith("::add-mask::"))
        .join("\n"),
    ],
    ["stderr", stderr],
    ["GITHUB_OUTPUT", await readFile(s.files.output, "utf8")],
    ["GITHUB_STEP_SUMMARY", await readFile(s.files.summary, "utf8")],
    ["GITHUB_STATE", await readFile(s.files.state, "utf8")],
  ];
  for (const r of s.github.requests) places.push([`github ${r.method} ${r.path}`, r.raw]);
  for (const [i, b] of s.artifacts.bodies.entries()) places.push([`artifact request ${i}`, b]);
  for (const a of s.artifacts.artifacts.values())
    for (const [name, content] of readZip(a.zip)) places.push([`artifact ${name}`, content.toString("utf8")]);
  for (const f of await filesUnder(s.runnerTemp)) places.push([f, await readFile(f, "latin1")]);
  return places;
}

function expectNoSecrets(places: [string, string][], secrets: string[]): void {
  const needles = secrets.flatMap((s) => [
    s.trim(),
    ...s.split("\n").filter((l) => l.trim().length >= 8 && !l.startsWith("-----")),
  ]);
  for (const [where, text] of places) {
    for (const needle of needles) {
      if (text.includes(needle)) throw new Error(`secret found in ${where}`);
    }
  }
}

/** A scenario with the lanes above; the stand-ins are closed after the file. */
async function scenario(options: Partial<Parameters<typeof makeScenario>[0]> = {}): Promise<Scenario> {
  const s = await makeScenario({ config: CONFIG, ...options });
  cleanups.push(
    () => s.github.close(),
    () => s.artifacts.close(),
  );
  return s;
}

let sshKey: string;
beforeAll(async () => {
  execFileSync(process.execPath, [path.join(ROOT, "scripts/bundle.mjs")], { cwd: ROOT, stdio: "pipe" });
  const keyDir = await mkdtemp(path.join(tmpdir(), "pikaci-action-key-"));
  execFileSync("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-f", path.join(keyDir, "id")]);
  sshKey = await readFile(path.join(keyDir, "id"), "utf8");
}, 120_000);

const cleanups: (() => Promise<void>)[] = [];
afterAll(async () => {
  for (const c of cleanups) await c();
});

type CheckRun = Record<string, unknown> & { updates: Record<string, unknown>[] };
const outputOf = (u: Record<string, unknown>) =>
  u.output as { title: string; summary: string; text?: string; annotations?: Record<string, unknown>[] };

// Dispatched check runs keep the App's signed run-page link (undefined here: the action must not
// overwrite it); standalone ones link to the workflow run.
const WORKFLOW_RUN_URL = "https://github.com/octo/demo/actions/runs/4242";

function expectStory(run: CheckRun, conclusion: string, title: RegExp, detailsUrl?: string) {
  const statuses = run.updates.map((u) => u.status);
  expect(statuses[0]).toBe("in_progress");
  const completed = statuses.indexOf("completed");
  expect(completed).toBeGreaterThan(0);
  // Nothing but annotation batches after the conclusion, and it is the only conclusion.
  expect(statuses.slice(completed + 1).every((s) => s === undefined)).toBe(true);
  const final = run.updates[completed]!;
  expect(final.conclusion).toBe(conclusion);
  expect(outputOf(final).title).toMatch(title);
  expect(final.details_url).toBe(detailsUrl);
  for (const u of run.updates) {
    const o = outputOf(u);
    if (!o) continue;
    expect(Buffer.byteLength(o.summary)).toBeLessThanOrEqual(65_535);
    expect(Buffer.byteLength(o.text ?? "")).toBeLessThanOrEqual(65_535);
    expect((o.annotations ?? []).length).toBeLessThanOrEqual(50);
  }
  return final;
}

const hostEnv = readHostEnv();
if (!hostEnv)
  console.warn("action-process: Incus variant skipped, no .test-host/host.env with PIKACI_TEST_HOST");

describe.each(nodeBinaries())("the action under %s", (_label, node) => {
  it("dispatched mode: updates the App's check runs through a passing, a failing and a timing-out lane", async () => {
    const s = await scenario();
    const inputs = {
      token: TOKEN,
      "ssh-key": sshKey,
      "check-runs": JSON.stringify({ passing: 101, failing: 102, slow: 103 }),
      "retention-days": "3",
    };
    const { code, stdout, stderr } = await runAction(node, "index.js", s, inputs, "workflow_dispatch");
    expect(code, stderr).toBe(1);
    expect(stdout).toContain("::error::pikaci run");
    expect(s.github.requests.some((r) => r.method === "POST")).toBe(false);
    expect(s.github.requests.every((r) => r.status < 300)).toBe(true);
    expect(s.github.requests.every((r) => r.headers.authorization === `token ${TOKEN}`)).toBe(true);

    const passing = expectStory(s.github.checkRuns.get(101)!, "success", /^Passed in \d/);
    expect(passing.actions).toBeUndefined();
    // The passing lane ran ~2.4 s with a 0.7 s interval: live progress with its log was sent in between.
    const progress = s.github.checkRuns
      .get(101)!
      .updates.filter((u) => u.status === "in_progress" && outputOf(u)?.text?.includes("step"));
    expect(progress.length).toBeGreaterThan(0);
    expect(outputOf(passing).text).toContain("all good");

    const failing = expectStory(s.github.checkRuns.get(102)!, "failure", /^Failed \(exit 3\) in /);
    expect(failing.actions).toEqual([expect.objectContaining({ label: "Re-run failed" })]);
    const annotations = s.github.checkRuns.get(102)!.updates.flatMap((u) => outputOf(u)?.annotations ?? []);
    expect(annotations).toEqual([
      expect.objectContaining({ path: ".github/pikaci.yml", start_line: 7, annotation_level: "notice" }),
      expect.objectContaining({
        path: "src/app.ts",
        start_line: 2,
        start_column: 7,
        annotation_level: "failure",
        title: "tsc TS2322",
      }),
    ]);

    const slow = expectStory(s.github.checkRuns.get(103)!, "timed_out", /^Timed out after 3s$/);
    expect(outputOf(slow).summary).toContain("| Phase | Duration |");

    const outputs = parseCommandFile(await readFile(s.files.output, "utf8"));
    expect(outputs.conclusion).toBe("failure");
    expect(outputs["run-id"]).toMatch(/^\d{8}T\d{6}Z-[0-9a-f]{8}$/);
    expect(outputs["run-json"]).toBe(path.join(s.runnerTemp, "pikaci/runs", outputs["run-id"]!, "run.json"));
    const record = JSON.parse(await readFile(outputs["run-json"]!, "utf8")) as {
      jobs: { lane_id: string; status: string }[];
    };
    expect(record.jobs.map((j) => [j.lane_id, j.status])).toEqual([
      ["passing", "passed"],
      ["failing", "failed"],
      ["slow", "failed"],
    ]);

    const summary = await readFile(s.files.summary, "utf8");
    expect(summary).toContain(`## pikaci run \`${outputs["run-id"]}\`: failed`);
    expect(summary).toMatch(
      /\| `passing` \| ✅ success \| \d+(\.\d+)?s \| .* \| \[check run\]\(http:\/\/127\.0\.0\.1:\d+\/octo\/demo\/runs\/101\) \|/,
    );
    expect(summary).toContain("| `slow` | ⏱️ timed out |");

    const artifact = s.artifacts.artifacts.get(`pikaci-${outputs["run-id"]}`)!;
    expect(artifact.finalizeRequest).toBeDefined();
    // retention-days: 3 becomes an expiry about three days out.
    const expires = Date.parse(String(artifact.createRequest.expires_at));
    expect(Math.round((expires - Date.now()) / 86_400_000)).toBe(3);
    const zipped = readZip(artifact.zip);
    expect([...zipped.keys()].sort()).toEqual([
      "jobs/failing/guest.log",
      "jobs/failing/host.log",
      "jobs/passing/guest.log",
      "jobs/passing/host.log",
      "jobs/slow/guest.log",
      "jobs/slow/host.log",
      "plan.json",
      "run.json",
    ]);
    expect(zipped.get("jobs/passing/guest.log")!.toString()).toContain("all good");
    expect(JSON.parse(zipped.get("run.json")!.toString()).run_id).toBe(outputs["run-id"]);

    expectNoSecrets(await everythingWritten(s, stdout, stderr), [TOKEN, sshKey]);

    // The post step after a normal run: nothing left to clean, exits 0.
    const post = await runAction(node, "post.js", s, inputs, "workflow_dispatch");
    expect(post.code, post.stderr).toBe(0);
  });

  it("standalone mode on pull_request: creates its own check runs on the PR head and concludes them", async () => {
    const event = { pull_request: { number: 7, head: { sha: PR_HEAD_SHA } } };
    const s = await scenario({ event, pullFiles: ["src/app.ts"] });
    const { code, stderr } = await runAction(
      node,
      "index.js",
      s,
      { token: TOKEN, lanes: "passing,docs" },
      "pull_request",
    );
    expect(code, stderr).toBe(0);
    const creates = s.github.requests.filter((r) => r.method === "POST");
    expect(
      creates.map((r) => [
        r.path,
        (r.body as { name: string }).name,
        (r.body as { head_sha: string }).head_sha,
      ]),
    ).toEqual([
      ["/repos/octo/demo/check-runs", "passing", PR_HEAD_SHA],
      ["/repos/octo/demo/check-runs", "docs", PR_HEAD_SHA],
    ]);
    expect(
      s.github.requests.some((r) => r.method === "GET" && r.path === "/repos/octo/demo/pulls/7/files"),
    ).toBe(true);
    const [passingId, docsId] = [5000, 5001];
    expectStory(s.github.checkRuns.get(passingId)!, "success", /^Passed in /, WORKFLOW_RUN_URL);
    const docs = s.github.checkRuns.get(docsId)!;
    expect(docs.updates.at(-1)).toMatchObject({ status: "completed", conclusion: "skipped" });
    const outputs = parseCommandFile(await readFile(s.files.output, "utf8"));
    expect(outputs.conclusion).toBe("success");
  });
});

describe("the action when the job is cancelled (Node 24)", () => {
  it("concludes its check runs cancelled and reports cancelled", async () => {
    const node = nodeBinaries()[1]![1];
    const s = await scenario();
    // One lane at a time: passing finishes, slow is running when the cancel comes, docs never starts.
    const inputs = {
      token: TOKEN,
      "check-runs": JSON.stringify({ passing: 101, slow: 103, docs: 104 }),
      concurrency: "1",
    };
    const { code } = await runAction(node, "index.js", s, inputs, "workflow_dispatch", (child) => {
      // Cancel the way the runner does (SIGINT) once the first lane is visibly running.
      const timer = setInterval(() => {
        if ((s.github.checkRuns.get(103)?.updates.length ?? 0) > 0) {
          clearInterval(timer);
          child.kill("SIGINT");
        }
      }, 50);
      child.on("close", () => clearInterval(timer));
    });
    expect(code).toBe(1);
    const final = (id: number) => [
      s.github.checkRuns.get(id)?.status,
      s.github.checkRuns.get(id)?.conclusion,
    ];
    expect(final(101)).toEqual(["completed", "success"]);
    expect(final(103)).toEqual(["completed", "cancelled"]);
    expect(final(104)).toEqual(["completed", "cancelled"]);
    expect(parseCommandFile(await readFile(s.files.output, "utf8")).conclusion).toBe("cancelled");
  });
});

describe.skipIf(!hostEnv)("the action on the real build host (Node 24)", () => {
  it("runs the lanes in Incus over SSH and reports them", async () => {
    const node = nodeBinaries()[1]![1];
    const s = await scenario();
    const key = await readFile(hostEnv!.keyFile, "utf8");
    const knownHosts = await readFile(hostEnv!.knownHostsFile, "utf8");
    const inputs: Record<string, string> = {
      token: TOKEN,
      host: hostEnv!.host,
      "ssh-key": key,
      "ssh-known-hosts": knownHosts,
      "check-runs": JSON.stringify({ passing: 101, failing: 102, slow: 103 }),
      ...(hostEnv!.image ? { image: hostEnv!.image } : {}),
    };
    const { code, stdout, stderr } = await runAction(node, "index.js", s, inputs, "workflow_dispatch");
    expect(code, stderr).toBe(1);
    const passing = expectStory(s.github.checkRuns.get(101)!, "success", /^Passed in /);
    expect(outputOf(passing).summary).toContain("executor incus");
    expect(outputOf(passing).summary).toContain("launch guest");
    expect(outputOf(passing).text).toContain("all good");
    expectStory(s.github.checkRuns.get(102)!, "failure", /^Failed \(exit 3\) in /);
    const failingAnnotations = s.github.checkRuns
      .get(102)!
      .updates.flatMap((u) => outputOf(u)?.annotations ?? []);
    expect(failingAnnotations.map((a) => [a.path, a.start_line, a.annotation_level])).toEqual([
      [".github/pikaci.yml", 7, "notice"],
      ["src/app.ts", 2, "failure"],
    ]);
    expectStory(s.github.checkRuns.get(103)!, "timed_out", /^Timed out after 3s$/);
    const outputs = parseCommandFile(await readFile(s.files.output, "utf8"));
    const zipped = readZip(s.artifacts.artifacts.get(`pikaci-${outputs["run-id"]}`)!.zip);
    expect(
      zipped.has("run.json") && zipped.has("jobs/passing/guest.log") && zipped.has("jobs/slow/host.log"),
    ).toBe(true);
    expectNoSecrets(await everythingWritten(s, stdout, stderr), [TOKEN, key]);
  });
});

describe("a dispatched run records the commit its lanes ran on (Node 24)", () => {
  // GitHub sets GITHUB_SHA to the default branch's tip on workflow_dispatch (HEAD_SHA here), while
  // the job checked out the pull request's head.
  it("run.json has head-sha (the checkout's HEAD) and the pull request, not GITHUB_SHA", async () => {
    const s = await scenario({ git: true });
    const inputs = {
      token: TOKEN,
      lanes: "passing",
      "check-runs": JSON.stringify({ passing: 101 }),
      "head-sha": s.checkoutHead!,
      "pull-request": "12",
    };
    const { code, stderr } = await runAction(node24(), "index.js", s, inputs, "workflow_dispatch");
    expect(code, stderr).toBe(0);
    expect(s.checkoutHead).not.toBe(HEAD_SHA);
    const outputs = parseCommandFile(await readFile(s.files.output, "utf8"));
    // A dispatched job with lanes names its artifact by its lane subset (matrix jobs share the run id).
    const name = artifactName({ lanes: ["passing"], "check-runs": { passing: 101 } }, outputs["run-id"]!);
    expect(name).toMatch(new RegExp(`^pikaci-${outputs["run-id"]}-[0-9a-f]{8}$`));
    for (const text of [
      await readFile(outputs["run-json"]!, "utf8"),
      readZip(s.artifacts.artifacts.get(name)!.zip).get("run.json")!.toString(),
    ]) {
      expect(JSON.parse(text)).toMatchObject({ git_head: s.checkoutHead, pull_request: 12 });
    }
  });

  it("a checkout of another commit fails the App's check runs with the fix, and runs nothing", async () => {
    const s = await scenario({ git: true });
    const inputs = {
      token: TOKEN,
      "check-runs": JSON.stringify({ passing: 101, failing: 102 }),
      "head-sha": "f".repeat(40),
    };
    const { code, stdout } = await runAction(node24(), "index.js", s, inputs, "workflow_dispatch");
    expect(code).toBe(1);
    expect(stdout).toContain("ref: $" + "{{ inputs.head_sha }}");
    for (const id of [101, 102]) {
      const run = s.github.checkRuns.get(id)!;
      expect([run.status, run.conclusion]).toEqual(["completed", "failure"]);
      expect(outputOf(run).summary).toContain("actions/checkout");
      expect(run.updates.some((u) => u.status === "in_progress")).toBe(false);
    }
  });
});

/**
 * GitHub's runner cancels a step with SIGINT, SIGTERM 7.5 s later and SIGKILL 2.5 s after that.
 * Ten cancellations, each at another point of a run on the real build host; half of them follow
 * the App concluding the check runs "Superseded by …" (as it does before cancelling the workflow
 * run). Each must exit within 3 s of SIGINT, leave every check run terminal, never overwrite the
 * App's conclusion, and upload the artifact. The distribution is printed (and measured in
 * bench/action-cancel.bench.ts).
 */
describe.skipIf(!hostEnv)("cancelling the action at ten points on the real build host (Node 24)", () => {
  it("exits within 3 s of SIGINT each time, with every check terminal and the artifact uploaded", async () => {
    const outcomes: CancelOutcome[] = [];
    for (const point of CANCEL_POINTS)
      outcomes.push(await cancelAt({ node: node24(), host: hostEnv!, point }));
    const d = distribution(outcomes.map((o) => o.exitMs));
    console.log(
      [
        `action cancellation, exit after SIGINT: min ${d.min} ms, median ${d.median} ms, max ${d.max} ms`,
        ...outcomes.map((o) => `  ${o.point.padEnd(26)} ${String(o.exitMs).padStart(5)} ms  (${o.seenAt})`),
      ].join("\n"),
    );
    for (const o of outcomes) {
      const where = `${o.point}: ${JSON.stringify(o)}`;
      expect(o.exitMs, where).toBeLessThan(3000);
      expect(o.exitSignal, where).toBeNull();
      expect(o.exitCode, where).toBe(1);
      for (const [status, conclusion] of Object.values(o.checks)) {
        expect(status, where).toBe("completed");
        expect(["cancelled", "success"], where).toContain(conclusion);
      }
      expect(o.progressAfterConclusion, where).toEqual([]);
      expect(o.artifact.uploaded, where).toBe(true);
      expect(o.artifact.files, where).toEqual(expect.arrayContaining(["plan.json", "run.json"]));
      expect(o.artifact.runStatus, where).not.toBe("running");
      expect(o.artifact.runFinished, where).toBeTruthy();
      expect(o.postExitCode, where).toBe(0);
      if (o.supersededTitle) {
        // Nothing from the action concludes a check run the App concluded; at most a progress
        // update already in flight when the App concluded it arrives just after.
        expect(
          o.lateUpdates.filter((u) => u.status === "completed"),
          where,
        ).toEqual([]);
        expect(
          o.lateUpdates.filter((u) => u.afterMs > 250),
          where,
        ).toEqual([]);
        for (const id of o.superseded) {
          const [, conclusion, title] = o.checks[id]!;
          expect(conclusion, where).toBe("cancelled");
          if (!o.lateUpdates.some((u) => u.id === id)) expect(title, where).toBe(o.supersededTitle);
        }
      }
    }
    // The points really were different moments of the run.
    expect(new Set(outcomes.map((o) => o.seenAt)).size).toBeGreaterThanOrEqual(6);
  }, 600_000);
});
