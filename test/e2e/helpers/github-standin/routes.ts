import type { Principal } from "./auth.js";
import type { CheckRun, CheckRunStore } from "./check-runs.js";
import type { Repository } from "./repository.js";
import type { Storage } from "./storage.js";
import type { Delivery } from "./webhooks.js";
import { parseWorkflow } from "./workflow-file.js";
import type { WorkflowRun, WorkflowRuns } from "./workflow-runs.js";

/**
 * The REST operations the stand-in implements, keyed by GitHub's operationId, each answering as
 * GitHub documents (status codes, pagination with a Link header, the 3000-file cap, 302 to
 * storage). An operation GitHub has but the stand-in lacks answers 501 and fails the test.
 */
export type Json = Record<string, unknown>;

export interface PullRequest {
  number: number;
  branch: string;
  headSha: string;
  baseSha: string;
  /** `owner/name` of the head repository: another one for a fork. */
  headRepo: string;
  state: "open" | "closed";
  merged: boolean;
  user: string;
}

export interface RouteContext {
  deliveries: Delivery[];
  redeliver(number: number): Delivery | null;
  base: string;
  repo: Repository;
  appId: number;
  appSlug: string;
  installationId: number;
  checkRuns: CheckRunStore;
  pulls: Map<number, PullRequest>;
  permissions: Record<string, string>;
  workflowRuns: WorkflowRuns;
  storage: Storage;
  mintToken(appId: number): { token: string; expires_at: string };
}

export interface Reply {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
  raw?: string;
}

export interface Request {
  params: Record<string, string>;
  body: Json;
  headers: Record<string, string | string[] | undefined>;
  principal: Principal;
  url: URL;
}

type Handler = (ctx: RouteContext, req: Request) => Reply;

const notFound: Reply = {
  status: 404,
  body: { message: "Not Found", documentation_url: "https://docs.github.com/rest" },
};
const iso = (t = Date.now()) => new Date(t).toISOString().replace(/\.\d+Z$/, "Z");
const PR_FILES_CAP = 3000;

function page<T>(req: Request, items: T[], max = 100): { slice: T[]; headers: Record<string, string> } {
  const perPage = Math.min(Number(req.params.per_page ?? 30), max);
  const n = Math.max(1, Number(req.params.page ?? 1));
  const last = Math.max(1, Math.ceil(items.length / perPage));
  const link = (p: number, rel: string) => {
    const u = new URL(req.url.href);
    u.searchParams.set("page", String(p));
    return `<${u.href}>; rel="${rel}"`;
  };
  const links = [];
  if (n < last) links.push(link(n + 1, "next"), link(last, "last"));
  if (n > 1) links.push(link(1, "first"), link(n - 1, "prev"));
  return {
    slice: items.slice((n - 1) * perPage, n * perPage),
    headers: links.length ? { link: links.join(", ") } : {},
  };
}

function sameRepo(ctx: RouteContext, req: Request): boolean {
  return (
    req.params.owner?.toLowerCase() === ctx.repo.owner && req.params.repo?.toLowerCase() === ctx.repo.name
  );
}

export function repositoryJson(ctx: Pick<RouteContext, "repo" | "base">) {
  const { repo } = ctx;
  return {
    id: 4242,
    node_id: "R_standin",
    name: repo.name,
    full_name: repo.fullName,
    private: false,
    owner: { login: repo.owner, id: 100, type: "Organization" },
    html_url: `${ctx.base}/${repo.fullName}`,
    url: `${ctx.base}/repos/${repo.fullName}`,
    default_branch: repo.defaultBranch,
  };
}

export function checkRunJson(ctx: RouteContext, run: CheckRun) {
  const url = `${ctx.base}/repos/${ctx.repo.fullName}/check-runs/${run.id}`;
  const prs = [...ctx.pulls.values()].filter(
    (p) => p.headSha === run.head_sha && p.headRepo === ctx.repo.fullName && p.state === "open",
  );
  return {
    id: run.id,
    node_id: `CR_${run.id}`,
    head_sha: run.head_sha,
    external_id: run.external_id,
    url,
    html_url: `${ctx.base}/${ctx.repo.fullName}/runs/${run.id}`,
    details_url: run.details_url,
    status: run.status,
    conclusion: run.conclusion,
    started_at: run.started_at,
    completed_at: run.completed_at,
    output: {
      title: run.output.title,
      summary: run.output.summary,
      text: run.output.text,
      annotations_count: run.output.annotations.length,
      annotations_url: `${url}/annotations`,
    },
    name: run.name,
    check_suite: { id: 1 },
    app: { id: run.app_id, slug: run.app_id === ctx.appId ? ctx.appSlug : "github-actions", name: "app" },
    pull_requests: prs.map((p) => ({
      id: p.number,
      number: p.number,
      url: `${ctx.base}/repos/${ctx.repo.fullName}/pulls/${p.number}`,
      head: { ref: p.branch, sha: p.headSha, repo: { id: 4242, name: ctx.repo.name, url: "" } },
      base: { ref: ctx.repo.defaultBranch, sha: p.baseSha, repo: { id: 4242, name: ctx.repo.name, url: "" } },
    })),
  };
}

export function workflowRunJson(ctx: Pick<RouteContext, "repo" | "base">, run: WorkflowRun) {
  return {
    id: run.id,
    name: "pikaci",
    node_id: `WFR_${run.id}`,
    head_branch: run.ref,
    head_sha: run.headSha,
    path: run.workflowPath,
    run_number: run.id,
    run_attempt: 1,
    event: "workflow_dispatch",
    status: run.status === "pending" ? "pending" : run.status,
    conclusion: run.conclusion,
    workflow_id: 1,
    url: `${ctx.base}/repos/${ctx.repo.fullName}/actions/runs/${run.id}`,
    html_url: `${ctx.base}/${ctx.repo.fullName}/actions/runs/${run.id}`,
    created_at: run.createdAt,
    updated_at: run.updatedAt,
    run_started_at: run.createdAt,
    repository: repositoryJson(ctx),
  };
}

function checkRunOwned(ctx: RouteContext, req: Request): CheckRun | Reply {
  const run = ctx.checkRuns.runs.get(Number(req.params.check_run_id));
  if (!run || !sameRepo(ctx, req)) return notFound;
  if (req.principal.appId !== run.app_id)
    return {
      status: 403,
      body: {
        message:
          "Invalid app_id `" +
          req.principal.appId +
          "` - check run can only be modified by the GitHub App that created it.",
      },
    };
  return run;
}

const jwtOnly: Reply = { status: 401, body: { message: "A JSON web token is required for this endpoint" } };
const installationOnly: Reply = { status: 403, body: { message: "Resource not accessible by integration" } };

function prSummary(ctx: RouteContext, pr: PullRequest) {
  const repo = repositoryJson(ctx);
  return {
    id: pr.number,
    number: pr.number,
    state: pr.state,
    user: { login: pr.user, id: 1, type: "User" },
    head: {
      ref: pr.branch,
      sha: pr.headSha,
      repo: pr.headRepo === ctx.repo.fullName ? repo : { ...repo, id: 999, full_name: pr.headRepo },
    },
    base: { ref: ctx.repo.defaultBranch, sha: pr.baseSha, repo },
  };
}

/** What the App's reconciler reads: its installations, their repositories, open pull requests, its deliveries. */
const appHandlers: Record<string, Handler> = {
  "apps/list-installations": (ctx, req) => {
    if (req.principal.kind !== "app-jwt") return jwtOnly;
    const installation = {
      id: ctx.installationId,
      app_id: ctx.appId,
      app_slug: ctx.appSlug,
      target_type: "Organization",
      account: { login: ctx.repo.owner, id: 100, type: "Organization" },
      repository_selection: "all",
      permissions: { checks: "write", actions: "write", contents: "read", pull_requests: "read" },
      events: ["pull_request", "check_run", "check_suite", "workflow_run"],
    };
    return { status: 200, body: [installation] };
  },
  "apps/list-repos-accessible-to-installation": (ctx, req) => {
    if (req.principal.kind !== "installation") return installationOnly;
    return {
      status: 200,
      body: { total_count: 1, repository_selection: "all", repositories: [repositoryJson(ctx)] },
    };
  },
  "pulls/list": (ctx, req) => {
    if (!sameRepo(ctx, req)) return notFound;
    const state = req.params.state ?? "open";
    const all = [...ctx.pulls.values()].filter((p) => state === "all" || p.state === state);
    const { slice, headers } = page(
      req,
      all.map((p) => prSummary(ctx, p)),
    );
    return { status: 200, body: slice, headers };
  },
  "apps/list-webhook-deliveries": (ctx, req) => {
    if (req.principal.kind !== "app-jwt") return jwtOnly;
    const list = [...ctx.deliveries].reverse().map((d) => ({
      id: d.number,
      guid: d.id,
      delivered_at: d.deliveredAt,
      redelivery: d.redelivery,
      duration: 0.1,
      status:
        d.status === null
          ? "Invalid HTTP Response"
          : d.status < 300
            ? "OK"
            : `Invalid HTTP Response: ${d.status}`,
      status_code: d.status ?? 0,
      event: d.event,
      action: d.action ?? null,
      installation_id: ctx.installationId,
      repository_id: 4242,
      throttled_at: null,
    }));
    return { status: 200, body: list.slice(0, Math.min(Number(req.params.per_page ?? 30), 100)) };
  },
  "apps/redeliver-webhook-delivery": (ctx, req) => {
    if (req.principal.kind !== "app-jwt") return jwtOnly;
    return ctx.redeliver(Number(req.params.delivery_id)) ? { status: 202, body: {} } : notFound;
  },
};

const handlers: Record<string, Handler> = {
  ...appHandlers,
  "apps/create-installation-access-token": (ctx, req) => {
    if (req.principal.kind !== "app-jwt")
      return { status: 401, body: { message: "A JSON web token is required" } };
    if (Number(req.params.installation_id) !== ctx.installationId) return notFound;
    const { token, expires_at } = ctx.mintToken(req.principal.appId);
    return {
      status: 201,
      body: {
        token,
        expires_at,
        permissions: { checks: "write", actions: "write", contents: "read", pull_requests: "read" },
        repository_selection: "all",
      },
    };
  },
  "repos/get-content": (ctx, req) => {
    if (!sameRepo(ctx, req)) return notFound;
    const ref = req.params.ref ?? ctx.repo.defaultBranch;
    const data = ctx.repo.readFile(ref, req.params.path!);
    if (!data) return notFound;
    const accept = String(req.headers.accept ?? "");
    if (accept.includes("application/vnd.github.raw") || accept.includes("application/vnd.github.v3.raw"))
      return {
        status: 200,
        raw: data.toString("utf8"),
        headers: { "content-type": "application/vnd.github.raw; charset=utf-8" },
      };
    return {
      status: 200,
      body: {
        type: "file",
        encoding: "base64",
        size: data.length,
        name: req.params.path!.split("/").pop(),
        path: req.params.path,
        content: data.toString("base64"),
        sha: "0".repeat(40),
      },
    };
  },
  "pulls/list-files": (ctx, req) => {
    const pr = ctx.pulls.get(Number(req.params.pull_number));
    if (!pr || !sameRepo(ctx, req)) return notFound;
    const files = ctx.repo
      .changedFiles(pr.baseSha, pr.headSha)
      .slice(0, PR_FILES_CAP)
      .map((f) => ({
        sha: "0".repeat(40),
        additions: 1,
        deletions: 0,
        changes: 1,
        blob_url: "",
        raw_url: "",
        contents_url: "",
        ...f,
      }));
    const { slice, headers } = page(req, files);
    return { status: 200, body: slice, headers };
  },
  "repos/get-collaborator-permission-level": (ctx, req) => {
    if (!sameRepo(ctx, req)) return notFound;
    const permission = ctx.permissions[req.params.username!] ?? "read";
    return {
      status: 200,
      body: { permission, role_name: permission, user: { login: req.params.username, id: 1, type: "User" } },
    };
  },
  "checks/create": (ctx, req) => {
    if (!sameRepo(ctx, req)) return notFound;
    if (!ctx.repo.resolve(String(req.body.head_sha)))
      return { status: 422, body: { message: "No commit found for SHA: " + req.body.head_sha } };
    const run = ctx.checkRuns.create(req.principal.appId, req.body, holderOf(req));
    return { status: 201, body: checkRunJson(ctx, run) };
  },
  "checks/update": (ctx, req) => {
    const run = checkRunOwned(ctx, req);
    if (!("id" in run)) return run;
    ctx.checkRuns.update(run, req.body, holderOf(req));
    return { status: 200, body: checkRunJson(ctx, run) };
  },
  "checks/get": (ctx, req) => {
    const run = ctx.checkRuns.runs.get(Number(req.params.check_run_id));
    if (!run || !sameRepo(ctx, req)) return notFound;
    ctx.checkRuns.read(run, holderOf(req));
    return { status: 200, body: checkRunJson(ctx, run) };
  },
  "checks/list-for-ref": (ctx, req) => {
    const sha = sameRepo(ctx, req) ? ctx.repo.resolve(req.params.ref!) : null;
    if (!sha) return { status: 422, body: { message: `No commit found for SHA: ${req.params.ref}` } };
    const all = ctx.checkRuns.forRef(sha, req.params);
    const { slice, headers } = page(req, all);
    return {
      status: 200,
      body: { total_count: all.length, check_runs: slice.map((r) => checkRunJson(ctx, r)) },
      headers,
    };
  },
  "actions/create-workflow-dispatch": (ctx, req) => {
    if (!sameRepo(ctx, req)) return notFound;
    const ref = String(req.body.ref).replace(/^refs\/heads\//, "");
    const refSha = ctx.repo.resolve(`refs/heads/${ref}`);
    const workflowPath = `.github/workflows/${req.params.workflow_id}`;
    const text = refSha ? ctx.repo.readFile(refSha, workflowPath) : null;
    if (!refSha) return { status: 422, body: { message: `No ref found for: ${ref}` } };
    if (!text) return notFound;
    const workflow = parseWorkflow(text.toString("utf8"));
    if (!workflow.inputs)
      return { status: 422, body: { message: "Workflow does not have 'workflow_dispatch' trigger" } };
    const given = Object.fromEntries(
      Object.entries((req.body.inputs as Json | undefined) ?? {}).map(([k, v]) => [k, String(v)]),
    );
    const unexpected = Object.keys(given).filter((k) => !(k in workflow.inputs!));
    if (unexpected.length)
      return { status: 422, body: { message: `Unexpected inputs provided: ${JSON.stringify(unexpected)}` } };
    const inputs: Record<string, string> = {};
    for (const [name, spec] of Object.entries(workflow.inputs)) {
      const value = given[name] ?? spec.default;
      if (spec.required && (value === undefined || value === ""))
        return { status: 422, body: { message: `Required input '${name}' not provided` } };
      inputs[name] = value ?? "";
    }
    const run = ctx.workflowRuns.dispatch({ workflow, workflowPath, ref, headSha: refSha, inputs });
    if (req.body.return_run_details !== true) return { status: 204 };
    const json = workflowRunJson(ctx, run);
    return { status: 200, body: { workflow_run_id: run.id, run_url: json.url, html_url: json.html_url } };
  },
  "actions/get-workflow-run": (ctx, req) => {
    const run = ctx.workflowRuns.runs.get(Number(req.params.run_id));
    return run && sameRepo(ctx, req) ? { status: 200, body: workflowRunJson(ctx, run) } : notFound;
  },
  "actions/cancel-workflow-run": (ctx, req) => {
    const run = ctx.workflowRuns.runs.get(Number(req.params.run_id));
    if (!run || !sameRepo(ctx, req)) return notFound;
    if (!ctx.workflowRuns.cancel(run, "the API"))
      return { status: 409, body: { message: "Cannot cancel a workflow run that is completed." } };
    return { status: 202, body: {} };
  },
  "actions/list-workflow-run-artifacts": (ctx, req) => {
    const run = ctx.workflowRuns.runs.get(Number(req.params.run_id));
    if (!run || !sameRepo(ctx, req)) return notFound;
    const all = run.artifacts.filter((a) => !req.params.name || a.name === req.params.name);
    const { slice, headers } = page(req, all);
    return {
      status: 200,
      headers,
      body: {
        total_count: all.length,
        artifacts: slice.map((a) => ({
          id: a.id,
          node_id: `A_${a.id}`,
          name: a.name,
          size_in_bytes: a.zip.length,
          url: `${ctx.base}/repos/${ctx.repo.fullName}/actions/artifacts/${a.id}`,
          archive_download_url: `${ctx.base}/repos/${ctx.repo.fullName}/actions/artifacts/${a.id}/zip`,
          expired: false,
          created_at: a.createdAt,
          updated_at: a.createdAt,
          expires_at: String(a.createRequest.expires_at ?? iso(Date.now() + 90 * 86_400_000)),
          digest: null,
          workflow_run: {
            id: run.id,
            repository_id: 4242,
            head_repository_id: 4242,
            head_branch: run.ref,
            head_sha: run.headSha,
          },
        })),
      },
    };
  },
  "actions/download-artifact": (ctx, req) => {
    if (!sameRepo(ctx, req) || req.params.archive_format !== "zip") return notFound;
    const artifact = [...ctx.workflowRuns.runs.values()]
      .flatMap((r) => r.artifacts)
      .find((a) => a.id === Number(req.params.artifact_id));
    if (!artifact) return notFound;
    // GitHub answers with a redirect to a signed URL on the storage host's origin.
    return { status: 302, headers: { location: ctx.storage.sign(artifact.zip, artifact.name) } };
  },
};

function holderOf(req: Request): string {
  return req.principal.kind === "installation" ? req.principal.holder : "app";
}

export function handlerFor(operationId: string): Handler | undefined {
  return handlers[operationId];
}
