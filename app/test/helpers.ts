import { createHmac, generateKeyPairSync } from "node:crypto";
import nock from "nock";
import { createProbot, type Logger, type Probot, ProbotOctokit } from "probot";
import { signRunUrl } from "../../src/pages/index.js";
import { pikaciApp } from "../src/app.js";
import { createMemoryClaims } from "../src/claims.js";
import { createMemoryDispatchStore, type DispatchStore } from "../src/dispatch-store.js";
import type { AppDeps } from "../src/handlers/deps.js";
import { leanFetch } from "../src/lean-fetch.js";
import { leanRestFactory } from "../src/rest/factory.js";

export const API = "https://api.github.com";
export const APP_ID = 4242;
export const INSTALLATION_ID = 77;
export const OWNER = "acme";
export const REPO = "widgets";
export const REPO_PATH = `/repos/${OWNER}/${REPO}`;
export const SECRET = "webhook-secret-for-tests";
export const HEAD_SHA = "a".repeat(40);
export const NEW_SHA = "b".repeat(40);
export const PUBLIC_URL = "https://ci.example.test";

let privateKey: string | undefined;
/** A real RSA key, so probot signs real JWTs and asks (nock'd) GitHub for an installation token. */
export function testPrivateKey(): string {
  privateKey ??= generateKeyPairSync("rsa", { modulusLength: 2048 }).privateKey.export({
    type: "pkcs1",
    format: "pem",
  }) as string;
  return privateKey;
}

export interface LogEntry {
  level: string;
  bindings: Record<string, unknown>;
  args: unknown[];
}

/** A pino-shaped logger that records what it is given, with the bindings of its children. */
export function captureLogger(entries: LogEntry[] = []): { log: Logger; entries: LogEntry[] } {
  const make = (bindings: Record<string, unknown>): unknown => {
    const at =
      (level: string) =>
      (...args: unknown[]) =>
        entries.push({ level, bindings, args });
    return {
      level: "trace",
      child: (more: Record<string, unknown>) => make({ ...bindings, ...more }),
      trace: at("trace"),
      debug: at("debug"),
      info: at("info"),
      warn: at("warn"),
      error: at("error"),
      fatal: at("fatal"),
    };
  };
  return { log: make({}) as Logger, entries };
}

export const unthrottled = ProbotOctokit.defaults((options: Record<string, unknown>) => ({
  ...options,
  throttle: { ...(options.throttle as object), enabled: false },
  retry: { enabled: false },
})) as typeof ProbotOctokit;

/** Fixed run ids make the snapshots stable. */
export function sequentialRunIds(): () => string {
  let n = 0;
  return () => `20260101T000000Z-${(n++).toString(16).padStart(8, "0")}`;
}

export async function testProbot(
  options: {
    store?: DispatchStore;
    log?: Logger;
    Octokit?: typeof ProbotOctokit;
    ingest?: AppDeps["ingest"];
  } = {},
) {
  const { log, entries } = options.log ? { log: options.log, entries: [] } : captureLogger();
  const probot = createProbot({
    env: {},
    overrides: {
      appId: APP_ID,
      privateKey: testPrivateKey(),
      secret: SECRET,
      log,
      Octokit: options.Octokit ?? unthrottled,
      // The App's own HTTP client, so these tests cover it too.
      request: { fetch: leanFetch },
    },
  });
  const deps: AppDeps = {
    appId: APP_ID,
    detailsUrl: (runId) => signRunUrl({ baseUrl: PUBLIC_URL, runId, secret: SECRET }),
    store: options.store ?? createMemoryDispatchStore(),
    claims: createMemoryClaims(),
    newRunId: sequentialRunIds(),
    // The production path: per-delivery calls on the lean REST client, the rest on Octokit.
    rest: leanRestFactory({ throttle: false }),
    ...(options.ingest ? { ingest: options.ingest } : {}),
  };
  await probot.load(pikaciApp(deps));
  return { probot: probot as Probot, deps, entries };
}

export interface Recorder {
  scope: nock.Scope;
  /** Every request GitHub saw, in order: method, path and parsed body. */
  calls: { method: string; path: string; body: unknown }[];
}

/** A nock scope for api.github.com that records each request, with the installation token answered. */
export function github(options: { tokenCached?: boolean } = {}): Recorder {
  const calls: Recorder["calls"] = [];
  const scope = nock(API);
  scope.on("request", (req: { method: string; path: string }, _interceptor: unknown, body: string) => {
    calls.push({
      method: req.method,
      path: decodeURIComponent(req.path),
      body: body ? JSON.parse(body) : null,
    });
  });
  // A long-lived probot caches the token for an hour: then the token request is optional.
  scope
    .post(`/app/installations/${INSTALLATION_ID}/access_tokens`)
    .optionally(options.tokenCached === true)
    .reply(201, {
      token: "ghs_test_installation_token",
      expires_at: "2099-01-01T00:00:00Z",
      permissions: {},
    });
  return { scope, calls };
}

/** The repository calls only (the installation token is fetched once an hour and cached). */
export function repoCalls(rec: Recorder) {
  return rec.calls.filter((c) => c.path.startsWith(REPO_PATH));
}

export function repository() {
  return {
    id: 1,
    name: REPO,
    full_name: `${OWNER}/${REPO}`,
    owner: { login: OWNER, id: 2, type: "Organization" },
    default_branch: "main",
    private: false,
  };
}

export function pullRequestPayload(options: {
  action: "opened" | "synchronize" | "reopened" | "closed";
  headSha?: string;
  before?: string;
  fork?: boolean;
  changedFiles?: number;
  /** For `closed`. */
  merged?: boolean;
}) {
  const headRepo = options.fork ? { full_name: `someone/${REPO}` } : { full_name: `${OWNER}/${REPO}` };
  return {
    action: options.action,
    number: 7,
    ...(options.before ? { before: options.before, after: options.headSha } : {}),
    pull_request: {
      number: 7,
      changed_files: options.changedFiles ?? 4,
      ...(options.merged !== undefined ? { merged: options.merged } : {}),
      head: { sha: options.headSha ?? HEAD_SHA, ref: "feature", repo: headRepo },
      base: { sha: "c".repeat(40), ref: "main", repo: { full_name: `${OWNER}/${REPO}` } },
    },
    repository: repository(),
    installation: { id: INSTALLATION_ID },
    sender: { login: "author", id: 9 },
  };
}

export function checkRunPayload(options: {
  action: "rerequested" | "requested_action";
  externalId: string;
  name: string;
  conclusion?: string;
  identifier?: string;
  sender?: string;
}) {
  return {
    action: options.action,
    check_run: {
      id: 900,
      name: options.name,
      head_sha: HEAD_SHA,
      external_id: options.externalId,
      status: "completed",
      conclusion: options.conclusion ?? "failure",
      app: { id: APP_ID },
    },
    ...(options.identifier ? { requested_action: { identifier: options.identifier } } : {}),
    repository: repository(),
    installation: { id: INSTALLATION_ID },
    sender: { login: options.sender ?? "maintainer", id: 10 },
  };
}

/** `.github/pikaci.yml` with 10 lanes; changing `src/core/…` selects exactly core-a, core-b and core-c. */
export function tenLaneConfig(): string {
  const lanes = [
    ["core-a", "src/core/**"],
    ["core-b", "src/**/*.rs"],
    ["core-c", "src/core/lib.rs"],
    ["docs", "docs/**"],
    ["web", "web/**"],
    ["nix", "nix/**"],
    ["images", "images/**"],
    ["guest", "guest/**"],
    ["examples", "examples/**"],
    ["bench", "bench/**"],
  ];
  return [
    "version: 1",
    "lanes:",
    ...lanes.flatMap(([id, glob]) => [`  - id: ${id}`, `    command: make ${id}`, `    paths: ["${glob}"]`]),
    "",
  ].join("\n");
}

export const CHANGED = ["src/core/lib.rs", "src/core/mod.rs", "README.md", "src/util.ts"];

export function sign(body: string, secret = SECRET): string {
  return `sha256=${createHmac("sha256", secret).update(body).digest("hex")}`;
}

/** Check run ids derived from the name, so ids in snapshots do not depend on request order. */
export function checkRunIdFor(name: string): number {
  return 1000 + [...name].reduce((sum, ch, i) => sum + ch.charCodeAt(0) * (i + 1), 0);
}

/** Answer `count` check-run creations, recording nothing more than the recorder already does. */
export function nockCheckRuns(scope: nock.Scope, count: number): void {
  scope
    .post(`${REPO_PATH}/check-runs`)
    .times(count)
    .reply(201, (_uri, body) => ({ id: checkRunIdFor((body as { name: string }).name) }));
}

/** Every write GitHub received (bodies included), in a stable order for snapshots. */
export function writes(rec: Recorder) {
  const key = (c: Recorder["calls"][number]) => `${c.method} ${c.path} ${JSON.stringify(c.body)}`;
  return rec.calls
    .filter((c) => c.method !== "GET" && !c.path.startsWith("/app/"))
    .sort((a, b) => key(a).localeCompare(key(b)));
}
