import { createHmac, createSign, generateKeyPairSync } from "node:crypto";
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type GitHubStandIn, startGitHubStandIn } from "./helpers/github-standin/index.js";

/**
 * The GitHub stand-in itself behaves as GitHub documents, so the full-loop test cannot pass on a
 * stand-in that only answers what our code expects: it refuses requests off GitHub's REST
 * description, keeps completed check runs completed, redirects artifact downloads to a storage
 * origin that refuses credentials, and cancels a concurrency group's running job with SIGINT,
 * SIGTERM 7.5 s later and SIGKILL 2.5 s after, delivering `workflow_run.completed` after it ends.
 */
const APP_ID = 31;
const SECRET = "standin-test-secret";

/** A JavaScript action that records what the runner gave it, uploads an artifact, then waits, ignoring SIGINT and SIGTERM. */
const ACTION_JS = `
import { writeFileSync } from "node:fs";
process.on("SIGINT", () => {});
process.on("SIGTERM", () => {});
const out = process.env.INPUT_RECORD;
writeFileSync(out + "/" + process.env.GITHUB_RUN_ID + ".json", JSON.stringify(process.env));
const base = process.env.ACTIONS_RESULTS_URL;
const auth = { authorization: "Bearer " + process.env.ACTIONS_RUNTIME_TOKEN, "content-type": "application/json" };
const svc = base + "twirp/github.actions.results.api.v1.ArtifactService/";
const name = "standin-" + process.env.GITHUB_RUN_ID;
const created = await (await fetch(svc + "CreateArtifact", { method: "POST", headers: auth, body: JSON.stringify({ name, version: 4 }) })).json();
await fetch(created.signed_upload_url, { method: "PUT", body: "zip-bytes-" + name });
await fetch(svc + "FinalizeArtifact", { method: "POST", headers: auth, body: JSON.stringify({ name, size: "1" }) });
if (process.env["INPUT_WAIT-SECONDS"] !== "0") setTimeout(() => {}, 60_000);
`;

const ACTION_YML = `name: fake
inputs:
  record: { required: true }
  wait-seconds: { default: "0" }
  token: { default: "\${{ github.token }}" }
runs:
  using: node24
  main: index.mjs
`;

const WORKFLOW = `name: fake
on:
  workflow_dispatch:
    inputs:
      group: { required: true }
      wait: { required: false, default: "0" }
concurrency:
  group: g-\${{ inputs.group }}
  cancel-in-progress: true
jobs:
  one:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
      - uses: fake/action@v1
        with:
          record: RECORD_DIR
          wait-seconds: \${{ inputs.wait }}
`;

let gh: GitHubStandIn;
let hook: Server;
let tmp: string;
let record: string;
let appToken: string;
const received: { event: string; action: string; runId: number; at: number; signatureOk: boolean }[] = [];
const { privateKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
const pem = privateKey.export({ type: "pkcs1", format: "pem" }).toString();

function appJwt(): string {
  const now = Math.floor(Date.now() / 1000);
  const part = (v: unknown) => Buffer.from(JSON.stringify(v)).toString("base64url");
  const body = `${part({ alg: "RS256", typ: "JWT" })}.${part({ iat: now - 30, exp: now + 500, iss: String(APP_ID) })}`;
  return `${body}.${createSign("RSA-SHA256").update(body).sign(pem).toString("base64url")}`;
}

async function api(method: string, url: string, body?: unknown, token = appToken) {
  const res = await fetch(`${gh.url}${url}`, {
    method,
    redirect: "manual",
    headers: { authorization: `token ${token}`, accept: "application/vnd.github+json" },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await res.text();
  return {
    status: res.status,
    headers: res.headers,
    json: text ? (JSON.parse(text) as Record<string, unknown>) : {},
  };
}

beforeAll(async () => {
  tmp = await mkdtemp(path.join(tmpdir(), "pikaci-standin-"));
  record = path.join(tmp, "record");
  const actionRoot = path.join(tmp, "action");
  await mkdir(record);
  await mkdir(actionRoot);
  await writeFile(path.join(actionRoot, "action.yml"), ACTION_YML);
  await writeFile(path.join(actionRoot, "index.mjs"), ACTION_JS);
  hook = createServer((req, res) => {
    let body = "";
    req.on("data", (c) => (body += c));
    req.on("end", () => {
      const payload = JSON.parse(body) as { action: string; workflow_run?: { id: number } };
      const expected = `sha256=${createHmac("sha256", SECRET).update(body).digest("hex")}`;
      received.push({
        event: String(req.headers["x-github-event"]),
        action: payload.action,
        runId: payload.workflow_run?.id ?? 0,
        at: Date.now(),
        signatureOk: req.headers["x-hub-signature-256"] === expected,
      });
      res.end("ok");
    });
  });
  await new Promise<void>((resolve) => hook.listen(0, "127.0.0.1", resolve));
  gh = await startGitHubStandIn({
    tmp: path.join(tmp, "github"),
    owner: "octo",
    name: "demo",
    files: { ".github/workflows/fake.yml": WORKFLOW.replace("RECORD_DIR", record), "README.md": "hi\n" },
    app: {
      id: APP_ID,
      slug: "pikaci",
      privateKey: pem,
      installationId: 5,
      webhookUrl: `http://127.0.0.1:${(hook.address() as AddressInfo).port}/`,
      webhookSecret: SECRET,
    },
    permissions: {},
    vars: {},
    secrets: {},
    action: { root: actionRoot, node: process.execPath, uses: /^fake\/action@/ },
  });
  const minted = await api("POST", "/app/installations/5/access_tokens", undefined, appJwt());
  expect(minted.status).toBe(201);
  appToken = String(minted.json.token);
}, 60_000);

afterAll(async () => {
  await gh?.close();
  hook?.close();
  if (tmp) await rm(tmp, { recursive: true, force: true });
});

describe("the GitHub stand-in", () => {
  it("refuses requests GitHub's REST description does not allow, and records them", async () => {
    const before = gh.violations.length;
    const sha = gh.repo.resolve("main")!;
    const created = await api("POST", "/repos/octo/demo/check-runs", { name: "unit", head_sha: sha });
    expect(created.status).toBe(201);
    expect(
      (await api("PATCH", `/repos/octo/demo/check-runs/${created.json.id}`, { status: "done" })).status,
    ).toBe(422);
    expect((await api("GET", `/repos/octo/demo/commits/${sha}/check-runs?filter=newest`)).status).toBe(422);
    expect((await api("GET", "/repos/octo/demo/no-such-thing")).status).toBe(404);
    // An App JWT is for /app endpoints only.
    expect((await api("GET", `/repos/octo/demo/commits/${sha}/check-runs`, undefined, appJwt())).status).toBe(
      401,
    );
    expect(gh.violations.slice(before).map((v) => `${v.method} ${v.path}`)).toEqual([
      `PATCH /repos/octo/demo/check-runs/${created.json.id}`,
      `GET /repos/octo/demo/commits/${sha}/check-runs`,
      "GET /repos/octo/demo/no-such-thing",
      `GET /repos/octo/demo/commits/${sha}/check-runs`,
    ]);
  });

  it("keeps a completed check run completed: the first conclusion stands", async () => {
    const sha = gh.repo.resolve("main")!;
    const created = await api("POST", "/repos/octo/demo/check-runs", { name: "lint", head_sha: sha });
    const id = Number(created.json.id);
    const done = {
      status: "completed",
      conclusion: "cancelled",
      output: { title: "superseded", summary: "s" },
    };
    expect((await api("PATCH", `/repos/octo/demo/check-runs/${id}`, done)).status).toBe(200);
    const reopen = await api("PATCH", `/repos/octo/demo/check-runs/${id}`, { status: "in_progress" });
    const again = await api("PATCH", `/repos/octo/demo/check-runs/${id}`, { conclusion: "failure" });
    expect([reopen.json.status, again.json.conclusion]).toEqual(["completed", "cancelled"]);
    expect(gh.checkRuns.get(id)!.lateUpdates.map((u) => u.body)).toEqual([
      { status: "in_progress" },
      { conclusion: "failure" },
    ]);
    const listed = await api("GET", `/repos/octo/demo/commits/${sha}/check-runs?check_name=lint&filter=all`);
    expect(listed.json.total_count).toBe(1);
  });

  it("runs a dispatched job as the runner does, and redirects its artifact to a storage origin that refuses credentials", async () => {
    const res = await api("POST", "/repos/octo/demo/actions/workflows/fake.yml/dispatches", {
      ref: "main",
      inputs: { group: "a" },
      return_run_details: true,
    });
    expect(res.status).toBe(200);
    const runId = Number(res.json.workflow_run_id);
    await gh.settled();
    const env = JSON.parse(await readFile(path.join(record, `${runId}.json`), "utf8")) as Record<
      string,
      string
    >;
    expect(env.GITHUB_SHA).toBe(gh.repo.resolve("main"));
    expect(env.GITHUB_EVENT_NAME).toBe("workflow_dispatch");
    expect(env["INPUT_WAIT-SECONDS"]).toBe("0");
    // An input's default expression is evaluated: github.token is the workflow's own token.
    expect(env.INPUT_TOKEN).toMatch(/^ghs_/);

    const list = await api("GET", `/repos/octo/demo/actions/runs/${runId}/artifacts`);
    const [artifact] = list.json.artifacts as { id: number; name: string }[];
    expect(artifact!.name).toBe(`standin-${runId}`);
    const download = await api("GET", `/repos/octo/demo/actions/artifacts/${artifact!.id}/zip`);
    expect(download.status).toBe(302);
    const location = download.headers.get("location")!;
    expect(new URL(location).origin).not.toBe(new URL(gh.url).origin);
    const leaked = await fetch(location, { headers: { authorization: `token ${appToken}` } });
    expect(leaked.status).toBe(400);
    expect(gh.storage.refused).toHaveLength(1);
    const clean = await fetch(location);
    expect([clean.status, await clean.text()]).toEqual([200, `zip-bytes-standin-${runId}`]);
    expect(received.find((d) => d.runId === runId)).toMatchObject({
      event: "workflow_run",
      action: "completed",
      signatureOk: true,
    });
  });

  it("cancels a concurrency group's running job with SIGINT, SIGTERM 7.5 s later, SIGKILL 2.5 s after; then reports it", async () => {
    const dispatch = async (wait: string) => {
      const inputs = { group: "b", wait };
      const res = await api("POST", "/repos/octo/demo/actions/workflows/fake.yml/dispatches", {
        ref: "main",
        inputs,
        return_run_details: true,
      });
      return Number(res.json.workflow_run_id);
    };
    const first = await dispatch("60");
    const run = gh.workflowRuns.get(first)!;
    // The action is running once it has written its record.
    while (!(await readFile(path.join(record, `${first}.json`)).catch(() => null)))
      await new Promise((r) => setTimeout(r, 100));
    const second = await dispatch("0");
    expect(gh.workflowRuns.get(second)!.status).toBe("pending");
    await gh.settled();
    const signals = run.job!.signals;
    expect(signals.map((s) => s.signal)).toEqual(["SIGINT", "SIGTERM", "SIGKILL"]);
    expect(Math.abs(signals[1]!.at - signals[0]!.at - 7_500)).toBeLessThan(400);
    expect(Math.abs(signals[2]!.at - signals[1]!.at - 2_500)).toBeLessThan(400);
    expect(run.conclusion).toBe("cancelled");
    const mainStep = run.job!.steps.find((s) => s.phase === "main" && s.name === "fake/action@v1")!;
    expect(mainStep.signal).toBe("SIGKILL");
    // Delivered after the job ended, and the waiting run of the group ran only then.
    const delivery = received.find((d) => d.runId === first)!;
    expect(delivery.at).toBeGreaterThanOrEqual(mainStep.endedAt);
    const next = gh.workflowRuns.get(second)!;
    expect(next.conclusion).toBe("success");
    expect(next.job!.steps[0]!.startedAt).toBeGreaterThanOrEqual(mainStep.endedAt);
  }, 60_000);
});
