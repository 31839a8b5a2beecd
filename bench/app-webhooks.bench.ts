/**
 * Webhook throughput of the GitHub App: signed `pull_request.opened` deliveries over loopback to
 * the real HTTP server (probot middleware + pikaci handlers + file dispatch store), with GitHub's
 * API answered by a local stand-in server. Each PR has a 10-lane config of which 3 lanes are
 * selected, so each delivery reads the config, lists files, creates 10 check runs and dispatches.
 *
 * Two phases, both printed:
 *  1. Sustained load (the targets): deliveries sent open-loop at PIKACI_BENCH_RATE per second on a
 *     fixed schedule, each one's latency counted from its scheduled send time (so a server that
 *     falls behind cannot hide it: no coordinated omission). Targets: the rate is sustained
 *     (≥ 100/s), p99 < 50 ms, GitHub calls per PR ≤ lanes + 3.
 *  2. Saturation: closed loop at PIKACI_BENCH_CONCURRENCY, as fast as the server answers: the most
 *     deliveries per second it handles (target ≥ 200/s; latency there is mostly queueing).
 *  Server CPU per delivery (user + system of the server process): target ≤ 2 ms.
 *  The reconciler runs every 5 s meanwhile; its API calls per pass are printed.
 * Latency is the delivery's (the middleware answers after the handler finished): handler plus HTTP.
 * Before phase 1, PIKACI_BENCH_WARMUP_SECONDS (2) at the same rate, not measured: a started process
 * runs cold (JIT, the start-up reconcile pass) once, and the targets are about a running App.
 * The App runs as production runs it: the bundle (`node dist/app.js`), built from the current sources
 * into a temporary directory; PIKACI_BENCH_SERVER=tsx runs the sources through tsx instead.
 * Check runs are created through GraphQL (the payload carries `repository.node_id`, as GitHub's
 * does); the stand-in validates each request against GitHub's published schema and counts one call
 * per HTTP request.
 *
 * Run: npx tsx bench/app-webhooks.bench.ts
 *   PIKACI_BENCH_RATE (100), PIKACI_BENCH_SECONDS (15, open-loop phase), PIKACI_BENCH_DELIVERIES
 *   (2000, closed loop), PIKACI_BENCH_CONCURRENCY (10), PIKACI_BENCH_WORKERS (server processes, 1),
 *   PIKACI_BENCH_TIME_LIMIT_MS (60000), PIKACI_BENCH_CPU_PROF=<dir> (profile the server),
 *   PIKACI_BENCH_TIMELINE=<file> (each measured open-loop delivery: scheduled send ms, latency ms).
 */

import { spawn, spawnSync } from "node:child_process";
import { createHash, createHmac, generateKeyPairSync } from "node:crypto";
import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { Agent, createServer, type IncomingMessage, type RequestOptions, request } from "node:http";
import type { AddressInfo } from "node:net";
import { availableParallelism, loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { answerGraphql, graphqlJson } from "../test/helpers/github-graphql.js";

const DELIVERIES = Number(process.env.PIKACI_BENCH_DELIVERIES ?? 2000);
const CONCURRENCY = Number(process.env.PIKACI_BENCH_CONCURRENCY ?? 10);
const RATE = Number(process.env.PIKACI_BENCH_RATE ?? 100);
const SECONDS = Number(process.env.PIKACI_BENCH_SECONDS ?? 15);
const WARMUP_SECONDS = Number(process.env.PIKACI_BENCH_WARMUP_SECONDS ?? 2);
const TIME_LIMIT_MS = Number(process.env.PIKACI_BENCH_TIME_LIMIT_MS ?? 60_000);
const LANES = 10;
const P99_TARGET_MS = 50;
const SATURATION_TARGET = 200;
const CPU_TARGET_MS = 2;
const SECRET = "bench-webhook-secret";
const WORKERS = Number(process.env.PIKACI_BENCH_WORKERS ?? 1);
const APP_PORT = Number(process.env.PIKACI_BENCH_PORT ?? 38917);

const CONFIG = [
  "version: 1",
  "lanes:",
  ...Array.from({ length: LANES }, (_, i) => [
    `  - id: lane-${i}`,
    `    command: make lane-${i}`,
    `    paths: ["${i < 3 ? "src" : `other-${i}`}/**"]`,
  ]).flat(),
  "",
].join("\n");
const FILES = JSON.stringify(["src/main.rs", "src/lib.rs", "README.md"].map((filename) => ({ filename })));

const OPEN_PRS = 20;
/** The repository's GraphQL node id, as GitHub sends it in `repository.node_id`. */
const REPO_NODE_ID = "R_kgDOBench0";

/**
 * What the reconciler sees: one installation, one repository with OPEN_PRS open pull requests
 * whose heads all have pikaci check runs (nothing to start, nothing lost), no failed deliveries.
 */
function reconcileView(url: string): unknown {
  if (url.startsWith("/app/installations")) return [{ id: 1 }];
  if (url.startsWith("/installation/repositories"))
    return {
      total_count: 1,
      repositories: [
        {
          name: "repo",
          full_name: "bench/repo",
          node_id: REPO_NODE_ID,
          default_branch: "main",
          owner: { login: "bench" },
        },
      ],
    };
  if (url.startsWith("/repos/bench/repo/pulls?"))
    return Array.from({ length: OPEN_PRS }, (_, i) => ({
      number: 9_000_000 + i,
      updated_at: "2026-01-01T00:00:00Z",
      head: { sha: (9_000_000 + i).toString(16).padStart(40, "0"), repo: { full_name: "bench/repo" } },
    }));
  const runs = /^\/repos\/bench\/repo\/commits\/([^/]+)\/check-runs/.exec(url);
  if (runs) {
    const pr = /^[0-9a-f]{40}$/.test(runs[1]!) ? Number.parseInt(runs[1]!, 16) : 0;
    const check_runs = pr
      ? [
          {
            id: pr,
            name: "lane-0",
            head_sha: runs[1],
            status: "completed",
            conclusion: "success",
            external_id: `pikaci:20260101T000000Z-00000000:lane-0:${pr}`,
            app: { id: 1 },
            started_at: "2026-01-01T00:00:00Z",
          },
        ]
      : [];
    return { total_count: check_runs.length, check_runs };
  }
  if (url.startsWith("/app/hook/deliveries")) return [];
  return undefined;
}

/**
 * GitHub's GraphQL endpoint for `createCheckRun`: the request is validated and its variables
 * coerced against GitHub's published schema; an unknown repository id is refused as GitHub does.
 * Counted as one call for the PR of its first check run (one HTTP request, however many aliases).
 */
function answerCheckRunMutation(body: unknown, nextId: () => number, count: (pr: number) => void) {
  let pr = 0;
  const result = answerGraphql(body, {
    createCheckRun: ({ input }) => {
      const { repositoryId, externalId } = input as { repositoryId: string; externalId?: string };
      if (repositoryId !== REPO_NODE_ID)
        throw new Error(`Could not resolve to a node with the global id of '${repositoryId}'`);
      pr ||= Number(externalId?.split(":")[3]);
      return { checkRun: { databaseId: nextId() } };
    },
  });
  count(pr);
  return graphqlJson(result);
}

/** A stand-in for api.github.com answering the calls a PR makes; counts calls per PR. */
function startGitHubStandIn() {
  const callsByPr = new Map<number, number>();
  const reconcile = { passes: 0, calls: 0, notModified: 0 };
  let nextId = 1;
  const count = (pr: number) => callsByPr.set(pr, (callsByPr.get(pr) ?? 0) + 1);
  const server = createServer((req, res) => {
    readBody(req).then((text) => {
      const url = req.url ?? "";
      const body = text ? (JSON.parse(text) as { external_id?: string; inputs?: { pr?: string } }) : {};
      const json = (status: number, data: unknown) => {
        res.writeHead(status, { "content-type": "application/json" });
        res.end(JSON.stringify(data));
      };
      const view = req.method === "GET" ? reconcileView(url) : undefined;
      if (view !== undefined) {
        // As GitHub: an ETag on every listing, and a free 304 for an unchanged one.
        if (url.startsWith("/app/installations")) reconcile.passes++;
        reconcile.calls++;
        const payload = JSON.stringify(view);
        const etag = `"${createHash("sha1").update(payload).digest("hex")}"`;
        if (req.headers["if-none-match"] === etag) {
          reconcile.notModified++;
          return res.writeHead(304, { etag }).end();
        }
        res.writeHead(200, { "content-type": "application/json", etag });
        return res.end(payload);
      }
      if (req.method === "POST" && /\/app\/installations\/\d+\/access_tokens$/.test(url)) {
        return json(201, { token: "ghs_bench", expires_at: "2099-01-01T00:00:00Z" });
      }
      if (req.method === "GET" && url.includes("/contents/")) {
        count(Number.parseInt(new URL(url, "http://x").searchParams.get("ref") ?? "0", 16));
        res.writeHead(200, { "content-type": "application/vnd.github.raw" });
        return res.end(CONFIG);
      }
      const files = /\/pulls\/(\d+)\/files/.exec(url);
      if (req.method === "GET" && files) {
        count(Number(files[1]));
        res.writeHead(200, { "content-type": "application/json" });
        return res.end(FILES);
      }
      if (req.method === "POST" && url === "/graphql") {
        return json(
          200,
          answerCheckRunMutation(body, () => nextId++, count),
        );
      }
      if (req.method === "POST" && url.endsWith("/check-runs")) {
        count(Number(body.external_id?.split(":")[3]));
        return json(201, { id: nextId++ });
      }
      if (req.method === "POST" && url.endsWith("/dispatches")) {
        count(Number(body.inputs?.pr));
        return json(200, { workflow_run_id: nextId++ });
      }
      json(404, { message: `stand-in has no ${req.method} ${url}` });
    });
  });
  return { server, callsByPr, reconcile };
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve) => {
    let text = "";
    req.setEncoding("utf8");
    req.on("data", (chunk) => {
      text += chunk;
    });
    req.on("end", () => resolve(text));
  });
}

function payload(pr: number) {
  return JSON.stringify({
    action: "opened",
    number: pr,
    pull_request: {
      number: pr,
      changed_files: 3,
      head: { sha: pr.toString(16).padStart(40, "0"), ref: "feature", repo: { full_name: "bench/repo" } },
      base: { ref: "main", repo: { full_name: "bench/repo" } },
    },
    repository: {
      id: 1,
      node_id: REPO_NODE_ID,
      name: "repo",
      full_name: "bench/repo",
      owner: { login: "bench" },
      default_branch: "main",
    },
    installation: { id: 1 },
    sender: { login: "author" },
  });
}

/** utime + stime of a process and its children (cluster workers) from /proc, in ms. */
function processCpuMs(pid: number): number {
  let ticks = 0;
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    let fields: string[];
    try {
      fields = readFileSync(`/proc/${entry}/stat`, "utf8").split(") ")[1]!.split(" ");
    } catch {
      continue; // exited meanwhile
    }
    if (Number(entry) === pid || Number(fields[1]) === pid) ticks += Number(fields[11]) + Number(fields[12]);
  }
  return (ticks * 1000) / 100;
}

/**
 * What runs the App: by default the bundle production runs (`node dist/app.js`), built from the
 * current sources into a temporary directory by the project's own bundler; with
 * PIKACI_BENCH_SERVER=tsx the sources through tsx, as `npx tsx app/src/server.ts`.
 */
async function serverEntry(scratch: string): Promise<string[]> {
  if (process.env.PIKACI_BENCH_SERVER === "tsx") return ["--import", "tsx", "app/src/server.ts"];
  const outdir = join(scratch, "dist");
  const built = spawnSync(process.execPath, ["scripts/bundle.mjs", "--outdir", outdir], {
    cwd: new URL("..", import.meta.url).pathname,
    encoding: "utf8",
  });
  if (built.status !== 0) throw new Error(`bundling the App failed: ${built.stderr || built.stdout}`);
  return [join(outdir, "app.js")];
}

/**
 * One delivery, timed from its send. Sent again once when a kept-alive connection the App had
 * already closed as idle is reset before any answer (the App never saw it; Node's
 * `request.reusedSocket` retry): the bench's own connection pool is not the App's failure.
 */
function postTimed(p: {
  target: RequestOptions;
  agent: Agent;
  body: string;
}): Promise<{ status: number; ms: number }> {
  const started = performance.now();
  const once = (retry: boolean): Promise<{ status: number; ms: number }> =>
    new Promise((resolve, reject) => {
      // The resend on a connection of its own: the pool's next idle one may be just as stale.
      const req = request({ ...p.target, agent: retry ? p.agent : false }, (res) => {
        res.resume();
        res.on("end", () => resolve({ status: res.statusCode ?? 0, ms: performance.now() - started }));
      });
      req.on("error", (error: NodeJS.ErrnoException) => {
        if (retry && req.reusedSocket && error.code === "ECONNRESET") resolve(once(false));
        else reject(error);
      });
      req.end(p.body);
    });
  return once(true);
}

type Deliver = (pr: number, via?: Agent) => Promise<{ status: number; ms: number }>;

/**
 * Deliveries sent at `rate` per second on a fixed schedule whatever the answers, each latency
 * counted from its scheduled send (no coordinated omission); `lateness` is the latest send.
 */
async function openLoop(p: { rate: number; count: number; firstPr: number; deliver: Deliver; agent: Agent }) {
  const latencies: number[] = [];
  const timeline: string[] = [];
  let failures = 0;
  let lateness = 0;
  const t0 = performance.now() + 50;
  const inFlight: Promise<void>[] = [];
  for (let k = 0; k < p.count; k++) {
    const at = t0 + (k * 1000) / p.rate;
    const wait = at - performance.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    lateness = Math.max(lateness, performance.now() - at);
    inFlight.push(
      p.deliver(p.firstPr + k, p.agent).then(({ status }) => {
        if (status !== 200) failures++;
        latencies.push(performance.now() - at);
        timeline.push(`${(at - t0).toFixed(0)} ${(performance.now() - at).toFixed(1)}`);
      }),
    );
  }
  await Promise.all(inFlight);
  // Where in time the slow ones are (a cold start, a reconcile pass, the machine): "send_ms latency_ms".
  if (process.env.PIKACI_BENCH_TIMELINE)
    writeFileSync(process.env.PIKACI_BENCH_TIMELINE, `${timeline.join("\n")}\n`);
  return { latencies, failures, lateness };
}

async function waitForHealthz(port: number): Promise<void> {
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    const ok = await fetch(`http://127.0.0.1:${port}/pikaci/healthz`).then(
      (r) => r.ok,
      () => false,
    );
    if (ok) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`the App did not answer /pikaci/healthz on port ${port} within 30 s`);
}

async function main() {
  const stateRoot = await mkdtemp(join(tmpdir(), "pikaci-bench-app-"));
  const buildDir = await mkdtemp(join(tmpdir(), "pikaci-bench-app-build-"));
  const standIn = startGitHubStandIn();
  await new Promise<void>((r) => standIn.server.listen(0, "127.0.0.1", r));
  const githubUrl = `http://127.0.0.1:${(standIn.server.address() as AddressInfo).port}`;
  // The real server, started the documented way, in its own process: the stand-in and this client
  // must not share its event loop (or its CPU time, which is measured below).
  const app = spawn(
    process.execPath,
    [
      ...(process.env.PIKACI_BENCH_CPU_PROF
        ? ["--cpu-prof", `--cpu-prof-dir=${process.env.PIKACI_BENCH_CPU_PROF}`]
        : []),
      ...(await serverEntry(buildDir)),
    ],
    {
      cwd: new URL("..", import.meta.url).pathname,
      env: {
        PATH: process.env.PATH,
        APP_ID: "1",
        PRIVATE_KEY: generateKeyPairSync("rsa", { modulusLength: 2048 }).privateKey.export({
          type: "pkcs1",
          format: "pem",
        }) as string,
        WEBHOOK_SECRET: SECRET,
        PIKACI_STATE_ROOT: stateRoot,
        PIKACI_API_TOKEN: "bench-api-token-0123456789",
        PIKACI_PUBLIC_URL: "https://ci.example.test",
        PORT: String(APP_PORT),
        HOST: "127.0.0.1",
        PIKACI_GITHUB_API_URL: githubUrl,
        PIKACI_GITHUB_WRITE_THROTTLE: "off",
        LOG_LEVEL: "error",
        PIKACI_APP_WORKERS: String(WORKERS),
        // A pass at start and every 5 s, so the figures include the reconciler's cost.
        PIKACI_RECONCILE_INTERVAL: "5s",
      },
      stdio: ["ignore", "inherit", "inherit"],
    },
  );
  // A bench that fails half-way must not leave the App running (and holding the port).
  process.once("exit", () => app.kill("SIGTERM"));
  const port = APP_PORT;
  await waitForHealthz(port);
  const agent = new Agent({ keepAlive: true, maxSockets: CONCURRENCY });

  const deliver: Deliver = (pr, via = agent) => {
    const body = payload(pr);
    const signature = `sha256=${createHmac("sha256", SECRET).update(body).digest("hex")}`;
    const headers = {
      "content-type": "application/json",
      "x-github-event": "pull_request",
      "x-github-delivery": `bench-${pr}`,
      "x-hub-signature-256": signature,
    };
    const target = { host: "127.0.0.1", port, method: "POST", path: "/api/github/webhooks", headers };
    return postTimed({ target, agent: via, body });
  };

  // Warm-up: the installation token, JIT, the first directory creation.
  for (let i = 0; i < 20; i++) await deliver(1_000_000 + i);

  // Warm-up, not measured: a started process runs cold for its first seconds (JIT, the start-up
  // reconcile pass) once; the targets are about the seconds after.
  const openAgent = new Agent({ keepAlive: true, maxSockets: 256 }); // never queue in the client
  await openLoop({
    rate: RATE,
    count: Math.round(RATE * WARMUP_SECONDS),
    firstPr: 3_000_000,
    deliver,
    agent: openAgent,
  });
  standIn.callsByPr.clear();
  // Phase 1, the targets: open loop at RATE/s, latency from each delivery's scheduled time.
  const total = Math.round(RATE * SECONDS);
  const {
    latencies: open,
    failures: openFailures,
    lateness,
  } = await openLoop({
    rate: RATE,
    count: total,
    firstPr: 2_000_000,
    deliver,
    agent: openAgent,
  });
  openAgent.destroy();
  open.sort((a, b) => a - b);
  const pctOf = (values: number[], p: number) =>
    values[Math.min(values.length - 1, Math.floor((p / 100) * values.length))]!;

  // Phase 2: saturation, closed loop at CONCURRENCY.
  const cpuBefore = processCpuMs(app.pid!);
  const ownCpuBefore = process.cpuUsage();
  const latencies: number[] = [];
  let failures = 0;
  let next = 1;
  const started = performance.now();
  const worker = async () => {
    while (next <= DELIVERIES && performance.now() - started < TIME_LIMIT_MS) {
      const pr = next++;
      const { status, ms } = await deliver(pr);
      if (status !== 200) failures++;
      latencies.push(ms);
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  const elapsed = (performance.now() - started) / 1000;
  const appCpuMs = processCpuMs(app.pid!) - cpuBefore;
  const ownCpu = process.cpuUsage(ownCpuBefore);
  const ownCpuMs = (ownCpu.user + ownCpu.system) / 1000;

  latencies.sort((a, b) => a - b);
  const calls = [...standIn.callsByPr.values()];
  const rate = latencies.length / elapsed;
  const maxCalls = Math.max(...calls);
  const avgCalls = calls.reduce((a, b) => a + b, 0) / calls.length;
  // On schedule: no send was more than one interval late, so the offered rate was really RATE/s.
  const onSchedule = lateness < 1000 / RATE + 5;

  console.log(
    `sustained load:        ${total} deliveries offered at ${RATE}/s for ${SECONDS} s (open loop), ${WORKERS} server worker(s)`,
  );
  console.log(`  non-200 answers:     ${openFailures}`);
  console.log(
    `  send schedule:       ${onSchedule ? "kept" : "NOT kept"} (latest send ${lateness.toFixed(1)} ms late)`,
  );
  console.log(`  latency p50:         ${pctOf(open, 50).toFixed(1)} ms (from the scheduled send)`);
  console.log(
    `  latency p99:         ${pctOf(open, 99).toFixed(1)} ms   (target < ${P99_TARGET_MS} ms at ≥ 100/s)`,
  );
  console.log(`  latency max:         ${open.at(-1)!.toFixed(1)} ms`);
  console.log(
    `saturation:            ${latencies.length} in ${elapsed.toFixed(2)} s, closed loop at concurrency ${CONCURRENCY}`,
  );
  console.log(`  non-200 answers:     ${failures}`);
  console.log(
    `  deliveries/s:        ${rate.toFixed(1)}   (the most it handles; target ≥ ${SATURATION_TARGET})`,
  );
  console.log(
    `  latency p50 / p99:   ${pctOf(latencies, 50).toFixed(1)} / ${pctOf(latencies, 99).toFixed(1)} ms (queueing)`,
  );
  console.log(
    `GitHub calls per PR:   avg ${avgCalls.toFixed(2)}, max ${maxCalls} over ${calls.length} PRs, ${LANES} lanes (target ≤ ${LANES + 3})`,
  );
  console.log("  (the installation token is fetched once per hour and cached, so it is not in these)");
  const r = standIn.reconcile;
  console.log(
    `reconciler:            ${r.passes} passes over 1 repository with ${OPEN_PRS} open PRs: ${(r.calls / Math.max(1, r.passes)).toFixed(1)} API calls per pass, ${(r.notModified / Math.max(1, r.passes)).toFixed(1)} of them answered 304 (free)`,
  );
  console.log(
    `server CPU per delivery: ${(appCpuMs / latencies.length).toFixed(2)} ms (user+system of the server process; target ≤ ${CPU_TARGET_MS})`,
  );
  console.log(
    `bench CPU per delivery:  ${(ownCpuMs / latencies.length).toFixed(2)} ms (client + GitHub stand-in, another process)`,
  );
  console.log(
    `machine: ${availableParallelism()} CPUs, load average ${loadavg()
      .map((l) => l.toFixed(1))
      .join(" ")}`,
  );
  const ok =
    openFailures === 0 &&
    failures === 0 &&
    onSchedule &&
    RATE >= 100 &&
    pctOf(open, 99) < P99_TARGET_MS &&
    rate >= SATURATION_TARGET &&
    appCpuMs / latencies.length <= CPU_TARGET_MS &&
    maxCalls <= LANES + 3;
  console.log(ok ? "PASS" : "FAIL");

  agent.destroy();
  app.kill("SIGTERM");
  await new Promise((r) => app.once("exit", r));
  standIn.server.closeAllConnections();
  standIn.server.close();
  await rm(stateRoot, { recursive: true, force: true });
  await rm(buildDir, { recursive: true, force: true });
  process.exitCode = ok ? 0 : 1;
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
