import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { generateKeyPairSync } from "node:crypto";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, beforeEach, expect, it } from "vitest";
import { decodeExternalId } from "../../app/src/external-id.js";
import { APPROVE_RUN_ID, RERUN_FAILED_ID } from "../../src/report/requested-actions.js";
import { readZip } from "../helpers/artifact-standin.js";
import { type GitHubStandIn, startGitHubStandIn, type WorkflowRun } from "./helpers/github-standin/index.js";
import { describeE2E, REPO_ROOT } from "./helpers/test-host.js";

/**
 * The whole loop as a user meets it: the real App server process, GitHub (the stand-in: REST
 * validated against GitHub's published description, webhooks, the Actions runner with its
 * concurrency and cancel signals, artifact storage on another origin), the bundled Action under
 * Node 24 running the repository's own dispatch workflow (examples/workflows/pikaci-dispatch.yml),
 * and lanes in Incus on the real build host. Each scenario ends with every check run terminal
 * with the right conclusion and title, the run's artifact uploaded and its run page served.
 */
const APP_ID = 4711;
const SECRET = "full-loop-webhook-secret";
const MAINTAINER = "maintainer";
const READER = "reader";

const CONFIG = `version: 1
defaults:
  image: pikaci-busybox
  timeout: 60s
lanes:
  - id: unit
    command: echo "unit ok"
  - id: lint
    command: |
      echo "src/app.ts(1,1): error TS1005: ';' expected."
      exit 3
  - id: slow
    paths: ["slow/**"]
    command: |
      echo "slow started"
      sleep 6
      echo "slow done"
  - id: docs
    paths: ["docs/**"]
    command: echo docs
`;

const PASSED = /^Passed in /;
const FAILED = /^Failed \(exit 3\) in /;
const SKIPPED = "Skipped: no matching changes";

let gh: GitHubStandIn;
let app: ChildProcess;
let appLog = "";
let appUrl = "";
let tmp = "";

function node24(): string {
  if (process.env.PIKACI_NODE24) return process.env.PIKACI_NODE24;
  return execFileSync("bash", [path.join(REPO_ROOT, "scripts/node24.sh")], { encoding: "utf8" })
    .trim()
    .split("\n")
    .pop()!;
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

async function waitFor(url: string, ms = 30_000): Promise<void> {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    if (
      await fetch(url).then(
        (r) => r.ok,
        () => false,
      )
    )
      return;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw new Error(`the App did not come up at ${url}:\n${appLog}`);
}

async function until(what: string, ready: () => boolean, ms = 60_000): Promise<void> {
  const end = Date.now() + ms;
  while (!ready()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

describeE2E("the full loop: App, GitHub stand-in, Action under Node 24, real build host", (host) => {
  beforeAll(async () => {
    execFileSync(process.execPath, [path.join(REPO_ROOT, "scripts/bundle.mjs")], {
      cwd: REPO_ROOT,
      stdio: "pipe",
    });
    tmp = await mkdtemp(path.join(tmpdir(), "pikaci-full-loop-"));
    const { privateKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
    const pem = privateKey.export({ type: "pkcs1", format: "pem" }).toString();
    const port = await freePort();
    appUrl = `http://127.0.0.1:${port}`;
    gh = await startGitHubStandIn({
      tmp: path.join(tmp, "github"),
      owner: "octo",
      name: "demo",
      files: {
        ".github/pikaci.yml": CONFIG,
        ".github/workflows/pikaci.yml": await readFile(
          path.join(REPO_ROOT, "examples/workflows/pikaci-dispatch.yml"),
          "utf8",
        ),
        "src/app.ts": "export const x = 1;\n",
        "docs/index.md": "# docs\n",
        "slow/marker": "0\n",
      },
      app: {
        id: APP_ID,
        slug: "pikaci",
        privateKey: pem,
        installationId: 77,
        webhookUrl: `${appUrl}/api/github/webhooks`,
        webhookSecret: SECRET,
      },
      permissions: { [MAINTAINER]: "write", [READER]: "read", octocat: "admin" },
      vars: {
        PIKACI_APP_ID: String(APP_ID),
        PIKACI_HOST: `ssh://${host.sshUser}@${host.sshHost}:${host.sshPort}`,
        PIKACI_KNOWN_HOSTS: await readFile(host.knownHostsFile, "utf8"),
      },
      secrets: { PIKACI_APP_PRIVATE_KEY: pem, PIKACI_SSH_KEY: await readFile(host.sshKey, "utf8") },
      action: { root: REPO_ROOT, node: node24(), uses: /^pikaci\/pikaci@/ },
    });
    app = spawn(process.execPath, ["--import", "tsx", "app/src/server.ts"], {
      cwd: REPO_ROOT,
      env: {
        PATH: process.env.PATH,
        HOME: process.env.HOME,
        APP_ID: String(APP_ID),
        PRIVATE_KEY: pem,
        WEBHOOK_SECRET: SECRET,
        PIKACI_STATE_ROOT: path.join(tmp, "app-state"),
        PIKACI_API_TOKEN: "full-loop-api-token-0123456789",
        PIKACI_PUBLIC_URL: appUrl,
        PORT: String(port),
        HOST: "127.0.0.1",
        PIKACI_GITHUB_WRITE_THROTTLE: "off",
        PIKACI_GITHUB_API_URL: gh.url,
        LOG_LEVEL: "info",
      },
      stdio: ["ignore", "pipe", "pipe"],
    });
    app.stdout!.on("data", (c: Buffer) => (appLog += c.toString()));
    app.stderr!.on("data", (c: Buffer) => (appLog += c.toString()));
    await waitFor(`${appUrl}/pikaci/healthz`);
  }, 180_000);

  afterAll(async () => {
    app?.kill("SIGTERM");
    await gh?.close();
    if (tmp) await rm(tmp, { recursive: true, force: true });
  });

  // Where each scenario starts in the stand-in's logs: it answers for what it did, not for earlier ones.
  let mark = { refused: 0, violations: 0, deliveries: 0 };
  beforeEach(() => {
    mark = {
      refused: gh.storage.refused.length,
      violations: gh.violations.length,
      deliveries: gh.deliveries.length,
    };
  });

  const runsOf = (pr: number) =>
    [...gh.checkRuns.values()]
      .filter((r) => decodeExternalId(r.external_id)?.pr === pr)
      .sort((a, b) => a.id - b.id);
  const newest = (pr: number, lane: string) =>
    runsOf(pr)
      .filter((r) => r.name === lane)
      .at(-1)!;
  const dispatchedFor = (pr: number) =>
    [...gh.workflowRuns.values()].filter((w) => w.inputs.pr === String(pr));

  /** What every scenario ends with: the App, the runner and the records agree, and nothing was refused. */
  async function expectSettled(
    pr: number,
    expected: Record<string, { conclusion: string; title: RegExp | string }>,
  ) {
    await gh.settled();
    const diagnose = () => `\nApp log:\n${appLog.slice(-6000)}\nrunner:\n${runnerLog(pr)}`;
    for (const run of runsOf(pr)) {
      expect.soft(run.status, `check run ${run.id} (${run.name}) is terminal${diagnose()}`).toBe("completed");
      // The Action reads an adopted check run before it concludes it and never writes over one it has
      // seen completed. Two writers can still race: the App concludes a lane (closed PR, superseded
      // head) between the Action's read and its write. GitHub then keeps the first conclusion, as the
      // stand-in does; what must never happen is a write after a read that showed it completed.
      const byWorkflow = run.lateUpdates.filter((u) => u.by !== "app");
      expect
        .soft(
          byWorkflow.filter((u) => u.sawCompleted),
          `the workflow changed check run ${run.id} (${run.name}) after reading it completed`,
        )
        .toEqual([]);
      const unread = byWorkflow.filter(
        (u) => u.body.status === "completed" && !run.reads.some((r) => r.by === u.by),
      );
      expect
        .soft(unread, `the workflow concluded check run ${run.id} (${run.name}) without reading it`)
        .toEqual([]);
    }
    for (const [lane, want] of Object.entries(expected)) {
      const run = newest(pr, lane);
      expect.soft(run?.conclusion, `${lane}: conclusion${diagnose()}`).toBe(want.conclusion);
      if (typeof want.title === "string") expect.soft(run?.output.title, `${lane}: title`).toBe(want.title);
      else expect.soft(run?.output.title, `${lane}: title`).toMatch(want.title);
    }
    for (const w of dispatchedFor(pr)) {
      expect.soft(w.status, `workflow run ${w.id}`).toBe("completed");
      const name = `pikaci-${w.inputs.run_id}`;
      expect
        .soft(
          w.artifacts.map((a) => a.name),
          `workflow run ${w.id} (${w.conclusion}) uploaded ${name}`,
        )
        .toContain(name);
      const artifact = w.artifacts.find((a) => a.name === name);
      if (!artifact) continue;
      // run.json names the commit the lanes ran on and the pull request, not the dispatched ref's tip.
      const record = JSON.parse(readZip(artifact.zip).get("run.json")?.toString() ?? "{}") as Record<
        string,
        unknown
      >;
      expect
        .soft([record.git_head, record.pull_request], `run.json of ${name}`)
        .toEqual([w.inputs.head_sha, Number(w.inputs.pr)]);
    }
    // Every run page a details link points to renders: the App ingested the artifact.
    const links = new Set(
      runsOf(pr)
        .filter(
          (r) => r.status === "completed" && r.conclusion !== "skipped" && r.conclusion !== "action_required",
        )
        .map((r) => r.details_url!),
    );
    for (const link of links) {
      const runId = decodeExternalId(runsOf(pr).find((r) => r.details_url === link)!.external_id)!.runId;
      if (!dispatchedFor(pr).some((w) => w.inputs.run_id === runId)) continue;
      const res = await fetch(link);
      const html = await res.text();
      expect.soft(res.status, `run page of ${runId}${diagnose()}`).toBe(200);
      expect.soft(html.includes(runId), `run page of ${runId} names the run`).toBe(true);
    }
    expect
      .soft(gh.storage.refused.slice(mark.refused), "requests that carried credentials to the storage host")
      .toEqual([]);
    expect.soft(gh.violations.slice(mark.violations), "requests GitHub would refuse").toEqual([]);
    expect
      .soft(
        gh.deliveries.slice(mark.deliveries).filter((d) => d.status !== 200),
        "webhook deliveries the App did not accept",
      )
      .toEqual([]);
  }

  function runnerLog(pr: number): string {
    return dispatchedFor(pr)
      .map(
        (w) =>
          `--- workflow run ${w.id} ${w.conclusion} (${w.cancelledBy ?? "not cancelled"})\n${(w.job?.steps ?? []).map((s) => `[${s.phase} ${s.name} exit ${s.exitCode}${s.signal ? ` ${s.signal}` : ""}]\n${s.output.slice(-1500)}`).join("\n")}`,
      )
      .join("\n");
  }

  it("PR opened: selected lanes run and conclude, the others are skipped", async () => {
    await gh.openPullRequest({
      number: 1,
      branch: "feature-1",
      files: { "src/app.ts": "export const x = 2;\n" },
    });
    await expectSettled(1, {
      unit: { conclusion: "success", title: PASSED },
      lint: { conclusion: "failure", title: FAILED },
      slow: { conclusion: "skipped", title: SKIPPED },
      docs: { conclusion: "skipped", title: SKIPPED },
    });
    expect(dispatchedFor(1)).toHaveLength(1);
    const [w] = dispatchedFor(1) as [WorkflowRun];
    // GITHUB_SHA in a dispatched run is the default branch's tip; the lanes ran on the PR head.
    expect(w.headSha).toBe(gh.repo.resolve("main"));
  });

  it("re-run of one lane: a new check run for that lane only", async () => {
    const before = runsOf(1).length;
    await gh.rerequestCheckRun(newest(1, "unit").id, MAINTAINER);
    await expectSettled(1, {
      unit: { conclusion: "success", title: PASSED },
      lint: { conclusion: "failure", title: FAILED },
    });
    expect(runsOf(1).length).toBe(before + 1);
    expect(dispatchedFor(1)).toHaveLength(2);
  });

  it("Re-run failed: the failed lane runs again", async () => {
    const failed = newest(1, "lint");
    await gh.requestAction(failed.id, RERUN_FAILED_ID, MAINTAINER);
    await expectSettled(1, {
      unit: { conclusion: "success", title: PASSED },
      lint: { conclusion: "failure", title: FAILED },
    });
    expect(newest(1, "lint").id).toBeGreaterThan(failed.id);
    expect(newest(1, "unit").output.title).toMatch(PASSED);
  });

  it("Re-run all, then one lane re-run while it runs: the running lanes are not cancelled", async () => {
    const head = await gh.openPullRequest({
      number: 2,
      branch: "feature-2",
      files: { "slow/marker": "2\n" },
    });
    await expectSettled(2, {
      unit: { conclusion: "success", title: PASSED },
      lint: { conclusion: "failure", title: FAILED },
      slow: { conclusion: "success", title: PASSED },
    });
    const lastBefore = Math.max(...runsOf(2).map((r) => r.id));
    await gh.rerequestCheckSuite(head, MAINTAINER);
    await until(
      "the re-run slow lane to start",
      () => newest(2, "slow").id > lastBefore && newest(2, "slow").status === "in_progress",
    );
    await until(
      "the re-run unit lane to finish",
      () => newest(2, "unit").id > lastBefore && newest(2, "unit").status === "completed",
    );
    await gh.rerequestCheckRun(newest(2, "unit").id, MAINTAINER);
    await expectSettled(2, {
      unit: { conclusion: "success", title: PASSED },
      lint: { conclusion: "failure", title: FAILED },
      slow: { conclusion: "success", title: PASSED },
    });
    const cancelled = dispatchedFor(2).filter((w) => w.conclusion === "cancelled");
    expect(cancelled.map((w) => `${w.id} cancelled by ${w.cancelledBy}`)).toEqual([]);
  });

  it("a push that supersedes a running head: the old head's lanes say so, the new head runs", async () => {
    await gh.openPullRequest({ number: 3, branch: "feature-3", files: { "slow/marker": "3\n" } });
    await until("the slow lane to run", () => newest(3, "slow")?.status === "in_progress");
    const old = newest(3, "slow");
    const { after } = await gh.push({ number: 3, files: { "slow/marker": "3b\n" } });
    await expectSettled(3, {
      unit: { conclusion: "success", title: PASSED },
      lint: { conclusion: "failure", title: FAILED },
      slow: { conclusion: "success", title: PASSED },
    });
    const final = gh.checkRuns.get(old.id)!;
    expect
      .soft([final.conclusion, final.output.title])
      .toEqual(["cancelled", `superseded by ${after.slice(0, 12)}`]);
    const cancelled = dispatchedFor(3).find((w) => w.inputs.head_sha === old.head_sha)!;
    expect.soft(cancelled.conclusion).toBe("cancelled");
    // The runner's SIGINT was enough: the Action finished before SIGTERM (within 3 s as issue 10 asks).
    const job = cancelled.job!;
    const mainStep = job.steps.find((s) => s.phase === "main" && s.name === "pikaci")!;
    expect.soft(job.signals.map((s) => s.signal)).toEqual(["SIGINT"]);
    expect.soft(mainStep.endedAt - job.signals[0]!.at).toBeLessThan(3_000);
  });

  it("a fork PR: a read-only user cannot run it, a maintainer's approval does", async () => {
    await gh.openPullRequest({
      number: 4,
      branch: "fork-4",
      fork: "stranger/demo",
      user: "stranger",
      files: { "src/app.ts": "export const x = 4;\n" },
    });
    await gh.settled();
    const waiting = newest(4, "unit");
    expect([waiting.conclusion, waiting.output.title]).toEqual([
      "action_required",
      "Waiting for a maintainer's approval",
    ]);
    expect(dispatchedFor(4)).toEqual([]);

    await gh.requestAction(waiting.id, APPROVE_RUN_ID, READER);
    await gh.settled();
    expect(dispatchedFor(4)).toEqual([]);
    expect(newest(4, "unit").id).toBe(waiting.id);

    await gh.requestAction(waiting.id, APPROVE_RUN_ID, MAINTAINER);
    await expectSettled(4, {
      unit: { conclusion: "success", title: PASSED },
      lint: { conclusion: "failure", title: FAILED },
      slow: { conclusion: "skipped", title: SKIPPED },
    });
    expect(dispatchedFor(4)).toHaveLength(1);
  });

  it("PR closed: its running lanes are cancelled and say why", async () => {
    await gh.openPullRequest({ number: 5, branch: "feature-5", files: { "slow/marker": "5\n" } });
    await until("the slow lane to run", () => newest(5, "slow")?.status === "in_progress");
    await gh.closePullRequest({ number: 5 });
    // unit and lint may have finished (or been cancelled with slow): only slow is sure to be running.
    await expectSettled(5, { slow: { conclusion: "cancelled", title: "pull request #5 was closed" } });
    expect(dispatchedFor(5).map((w) => w.conclusion)).toEqual(["cancelled"]);
  });
});
