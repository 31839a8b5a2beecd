import { rm } from "node:fs/promises";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import path from "node:path";
import { createAuth, GITHUB_ACTIONS_APP_ID } from "./auth.js";
import { type CheckRun, createCheckRunStore } from "./check-runs.js";
import { answerGraphqlRequest } from "./graphql.js";
import { sameKey } from "./job.js";
import { checkRequest, loadDescription } from "./openapi.js";
import { createRepository, type Repository } from "./repository.js";
import {
  checkRunJson,
  handlerFor,
  type PullRequest,
  type Reply,
  type RouteContext,
  repositoryJson,
  workflowRunJson,
} from "./routes.js";
import { type Storage, startStorage } from "./storage.js";
import { createWebhookSender, type Delivery } from "./webhooks.js";
import { createWorkflowRuns, type WorkflowRun } from "./workflow-runs.js";

export type { CheckRun } from "./check-runs.js";
export type { WorkflowRun } from "./workflow-runs.js";

/**
 * A stand-in for GitHub, on loopback, for the full loop: the App's REST calls and the Action's,
 * each validated against GitHub's published REST description; state for check runs, pull
 * requests, contents, workflow runs and artifacts; a runner that runs dispatched workflows as
 * Actions does; signed webhooks to the App. `violations` lists every request GitHub would refuse.
 */
export interface StandInOptions {
  tmp: string;
  owner: string;
  name: string;
  files: Record<string, string>;
  app: {
    id: number;
    slug: string;
    privateKey: string;
    installationId: number;
    webhookUrl: string;
    webhookSecret: string;
  };
  /** Repository permission by login (GitHub's `permission`: admin/write/read/none); default read. */
  permissions: Record<string, string>;
  vars: Record<string, string>;
  secrets: Record<string, string>;
  action: { root: string; node: string; uses: RegExp };
}

export interface Violation {
  method: string;
  path: string;
  problems: string[];
}

export interface GitHubStandIn {
  url: string;
  repo: Repository;
  storage: Storage;
  checkRuns: Map<number, CheckRun>;
  workflowRuns: Map<number, WorkflowRun>;
  deliveries: Delivery[];
  violations: Violation[];
  requests: { method: string; path: string; status: number; operationId: string | null }[];
  openPullRequest(p: {
    number: number;
    branch: string;
    files: Record<string, string>;
    fork?: string;
    user?: string;
  }): Promise<string>;
  push(p: {
    number: number;
    files: Record<string, string>;
    user?: string;
  }): Promise<{ before: string; after: string }>;
  closePullRequest(p: { number: number; user?: string }): Promise<void>;
  rerequestCheckRun(id: number, sender: string): Promise<Delivery>;
  rerequestCheckSuite(headSha: string, sender: string): Promise<Delivery>;
  requestAction(id: number, identifier: string, sender: string): Promise<Delivery>;
  /** Resolves when no workflow run is waiting or running and every delivery was answered. */
  settled(): Promise<void>;
  close(): Promise<void>;
}

export async function startGitHubStandIn(options: StandInOptions): Promise<GitHubStandIn> {
  loadDescription();
  const repo = createRepository({
    dir: path.join(options.tmp, "repo"),
    owner: options.owner,
    name: options.name,
    files: options.files,
  });
  const auth = createAuth([{ appId: options.app.id, privateKeyPem: options.app.privateKey }]);
  const storage = await startStorage();
  const checkRuns = createCheckRunStore();
  const pulls = new Map<number, PullRequest>();
  const webhooks = createWebhookSender({ url: options.app.webhookUrl, secret: options.app.webhookSecret });
  const violations: Violation[] = [];
  const requests: GitHubStandIn["requests"] = [];
  let base = "";
  let artifactId = 300;
  const installation = { id: options.app.installationId, node_id: "MDIz" };
  const sender = (login: string) => ({ login, id: login.length, type: "User" });
  const event = (name: string, payload: Record<string, unknown>, who = "octocat") =>
    webhooks.deliver(name, {
      ...payload,
      repository: repositoryJson({ repo, base }),
      installation,
      sender: sender(who),
    });

  const workflowRuns = createWorkflowRuns({
    tmp: options.tmp,
    nextArtifactId: () => artifactId++,
    jobContext: (run, workflow, dir) => ({
      repo,
      workflow,
      workflowPath: run.workflowPath,
      runId: run.id,
      ref: run.ref,
      refSha: run.headSha,
      inputs: run.inputs,
      apiUrl: base,
      // @actions/artifact refuses any other host (it takes it for GitHub Enterprise Server).
      serverUrl: "https://github.com",
      dir,
      vars: options.vars,
      secrets: options.secrets,
      action: options.action,
      githubToken: auth.mintInstallationToken(GITHUB_ACTIONS_APP_ID, `GITHUB_TOKEN of workflow run ${run.id}`)
        .token,
      mintToken: ({ appId, privateKey }) => {
        if (appId !== options.app.id || !privateKey || !sameKey(privateKey, options.app.privateKey))
          throw new Error("create-github-app-token: the app-id and private-key do not name a known App");
        return auth.mintInstallationToken(appId, `workflow run ${run.id}`).token;
      },
    }),
    onCompleted: async (run) => {
      await event("workflow_run", {
        action: "completed",
        workflow_run: workflowRunJson({ repo, base }, run),
        workflow: { id: 1, path: run.workflowPath },
      });
    },
  });

  const ctx = (): RouteContext => ({
    base,
    repo,
    appId: options.app.id,
    appSlug: options.app.slug,
    installationId: options.app.installationId,
    checkRuns,
    pulls,
    permissions: options.permissions,
    workflowRuns,
    storage,
    mintToken: (appId) => auth.mintInstallationToken(appId, "app"),
    deliveries: webhooks.deliveries,
    redeliver: (n) => webhooks.redeliver(n),
  });

  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const raw = Buffer.concat(chunks).toString("utf8");
      const url = new URL(req.url ?? "/", base);
      let body: unknown;
      try {
        body = raw === "" ? undefined : JSON.parse(raw);
      } catch {
        body = undefined;
      }
      const method = req.method ?? "GET";
      const reply = answer({ method, url, raw, body, headers: req.headers });
      requests.push({ method, path: url.pathname, status: reply.status, operationId: reply.operationId });
      // A refusal is a violation, except the answers a client is expected to handle: a missing file
      // or commit (404) and cancelling a run that already ended (409). An unknown route was recorded above.
      if (reply.status >= 400 && reply.status !== 404 && reply.status !== 409)
        violations.push({ method, path: url.pathname, problems: [JSON.stringify(reply.body)] });
      const text = reply.raw ?? (reply.body === undefined ? "" : JSON.stringify(reply.body));
      res.writeHead(reply.status, {
        ...(reply.raw === undefined && reply.body !== undefined
          ? { "content-type": "application/json; charset=utf-8" }
          : {}),
        "x-github-api-version-selected": "2022-11-28",
        ...reply.headers,
      });
      res.end(text);
    });
  });

  function answer(r: {
    method: string;
    url: URL;
    raw: string;
    body: unknown;
    headers: Record<string, string | string[] | undefined>;
  }): Reply & { operationId: string | null } {
    if (r.method === "POST" && r.url.pathname === "/graphql")
      return { ...answerGraphqlAt(r), operationId: null };
    const checked = checkRequest(r);
    const operationId = checked.operation?.operationId ?? null;
    if (!checked.operation) {
      violations.push({ method: r.method, path: r.url.pathname, problems: checked.problems });
      return { status: 404, body: { message: "Not Found" }, operationId };
    }
    if (checked.problems.length > 0) {
      return { status: 422, body: { message: "Invalid request.", errors: checked.problems }, operationId };
    }
    const principal = auth.identify(
      typeof r.headers.authorization === "string" ? r.headers.authorization : undefined,
    );
    if ("problem" in principal) return { status: 401, body: { message: principal.problem }, operationId };
    if (principal.kind === "app-jwt" && !checked.operation.template.startsWith("/app/"))
      return {
        status: 401,
        body: { message: "A JSON web token cannot be used for this endpoint" },
        operationId,
      };
    const limit = outputLimit(r.body);
    if (limit) return { status: 422, body: { message: "Invalid request.", errors: [limit] }, operationId };
    const handler = handlerFor(operationId!);
    if (!handler) {
      return { status: 501, body: { message: `stand-in: ${operationId} is not implemented` }, operationId };
    }
    return {
      ...handler(ctx(), {
        params: checked.params,
        body: (r.body ?? {}) as Record<string, unknown>,
        headers: r.headers,
        principal,
        url: r.url,
      }),
      operationId,
    };
  }

  /** Not in the REST description: GitHub's GraphQL endpoint, checked against its own schema. */
  function answerGraphqlAt(r: {
    body: unknown;
    headers: Record<string, string | string[] | undefined>;
  }): Reply {
    const principal = auth.identify(
      typeof r.headers.authorization === "string" ? r.headers.authorization : undefined,
    );
    if ("problem" in principal) return { status: 401, body: { message: principal.problem } };
    const repoNodeId = String(repositoryJson({ repo, base }).node_id);
    return answerGraphqlRequest({ body: r.body, principal, repo, repoNodeId, checkRuns });
  }

  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  function prJson(pr: PullRequest) {
    const headRepo =
      pr.headRepo === repo.fullName
        ? repositoryJson({ repo, base })
        : {
            ...repositoryJson({ repo, base }),
            id: 999,
            full_name: pr.headRepo,
            name: pr.headRepo.split("/")[1],
          };
    return {
      id: pr.number,
      number: pr.number,
      state: pr.state,
      merged: pr.merged,
      user: sender(pr.user),
      changed_files: repo.changedFiles(pr.baseSha, pr.headSha).length,
      head: { ref: pr.branch, sha: pr.headSha, repo: headRepo, user: sender(pr.user) },
      base: { ref: repo.defaultBranch, sha: pr.baseSha, repo: repositoryJson({ repo, base }) },
    };
  }
  function checkRunEvent(id: number) {
    const run = checkRuns.runs.get(id);
    if (!run) throw new Error(`no check run ${id}`);
    return {
      ...checkRunJson(ctx(), run),
      check_suite: { id: 1, head_sha: run.head_sha, app: { id: run.app_id } },
    };
  }

  return {
    url: base,
    repo,
    storage,
    checkRuns: checkRuns.runs,
    workflowRuns: workflowRuns.runs,
    deliveries: webhooks.deliveries,
    violations,
    requests,
    async openPullRequest({ number, branch, files, fork, user = "octocat" }) {
      const baseSha = repo.resolve("main")!;
      const headSha = repo.commit({ branch, files, message: `change for #${number}` });
      const pr: PullRequest = {
        number,
        branch,
        headSha,
        baseSha,
        headRepo: fork ?? repo.fullName,
        state: "open",
        merged: false,
        user,
      };
      pulls.set(number, pr);
      await event("pull_request", { action: "opened", number, pull_request: prJson(pr) }, user);
      return headSha;
    },
    async push({ number, files, user = "octocat" }) {
      const pr = pulls.get(number)!;
      const before = pr.headSha;
      pr.headSha = repo.commit({ branch: pr.branch, files, message: `more for #${number}` });
      await event(
        "pull_request",
        { action: "synchronize", number, before, after: pr.headSha, pull_request: prJson(pr) },
        user,
      );
      return { before, after: pr.headSha };
    },
    async closePullRequest({ number, user = "octocat" }) {
      const pr = pulls.get(number)!;
      pr.state = "closed";
      await event("pull_request", { action: "closed", number, pull_request: prJson(pr) }, user);
    },
    rerequestCheckRun: (id, who) =>
      event("check_run", { action: "rerequested", check_run: checkRunEvent(id) }, who),
    requestAction: (id, identifier, who) =>
      event(
        "check_run",
        { action: "requested_action", check_run: checkRunEvent(id), requested_action: { identifier } },
        who,
      ),
    rerequestCheckSuite: (headSha, who) =>
      event(
        "check_suite",
        {
          action: "rerequested",
          check_suite: {
            id: 1,
            head_sha: headSha,
            head_branch: null,
            status: "completed",
            app: { id: options.app.id, slug: options.app.slug },
          },
        },
        who,
      ),
    async settled() {
      for (;;) {
        await workflowRuns.settled();
        await webhooks.settled();
        const busy = [...workflowRuns.runs.values()].some((r) => r.status !== "completed");
        if (!busy) return;
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    },
    async close() {
      for (const run of workflowRuns.runs.values()) workflowRuns.cancel(run, "the stand-in closing");
      await workflowRuns.settled().catch(() => {});
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await storage.close();
      await rm(options.tmp, { recursive: true, force: true });
    },
  };
}

const MAX_BYTES = 65_535;
/** GitHub counts the output's limits in bytes, where the description says characters. */
function outputLimit(body: unknown): string | null {
  const output = (body as { output?: Record<string, unknown> } | undefined)?.output;
  if (!output) return null;
  for (const field of ["summary", "text"] as const) {
    const v = output[field];
    if (typeof v === "string" && Buffer.byteLength(v) > MAX_BYTES)
      return `output.${field} exceeds a maximum bytesize of ${MAX_BYTES}`;
  }
  return null;
}
