import { mkdtemp, rm } from "node:fs/promises";
import { createServer, request, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { signRepoUrl, signRunUrl, signScope } from "../../../src/pages/capability.js";
import { createRunPagesHandler } from "../../../src/pages/handler.js";
import { createStateStore, type StateStore } from "../../../src/store/index.js";
import { RUN_ID, sampleLog, sampleRun } from "./fixtures.js";

const SECRET = "test-webhook-secret";
const OTHER_RUN = "20260325T101010Z-0badc0de";
let root: string;
let store: StateStore;
let server: Server;
let base: string;
const logged: string[] = [];

beforeAll(async () => {
  root = await mkdtemp(path.join(tmpdir(), "pikaci-pages-"));
  store = createStateStore({ root });
  await store.writeRun(sampleRun());
  await store.writeRun({
    ...sampleRun(2),
    run_id: OTHER_RUN,
    status: "passed",
    jobs: sampleRun(2).jobs.slice(0, 1),
  });
  await store.appendLog(
    RUN_ID,
    "check-pika-rust",
    "guest",
    `${sampleLog(300_000, "check-pika-rust")}<script>alert(1)</script>\n\u001b[31merror\u001b[0m: <b>boom</b>\n`,
  );
  await store.appendLog(RUN_ID, "check-pika-rust", "host", "host says hi\n");
  const handler = createRunPagesHandler({ store, secret: SECRET, log: (m) => logged.push(m) });
  server = createServer(async (req, res) => {
    if (!(await handler(req, res))) {
      res.writeHead(418).end("not handled");
    }
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
  await rm(root, { recursive: true, force: true });
});

/** fetch() normalises `%2e%2e` away; a raw request sends the path exactly as an attacker would. */
function rawGet(rawPath: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(`${base}/`, { path: rawPath }, (res) => {
      let body = "";
      res.on("data", (chunk) => (body += chunk));
      res.on("end", () => resolve({ status: res.statusCode!, body }));
    });
    req.on("error", reject);
    req.end();
  });
}

const runUrl = (runId = RUN_ID) => signRunUrl({ baseUrl: base, runId, secret: SECRET });

describe("run pages handler", () => {
  it("serves the run page with the security headers", async () => {
    const res = await fetch(runUrl());
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("text/html; charset=utf-8");
    const csp = res.headers.get("content-security-policy")!;
    expect(csp).toContain("default-src 'none'");
    expect(csp).toMatch(/style-src 'sha256-[A-Za-z0-9+/=]+'/);
    expect(csp).not.toContain("unsafe-inline");
    expect(csp).not.toContain("script-src");
    expect(res.headers.get("x-content-type-options")).toBe("nosniff");
    expect(res.headers.get("referrer-policy")).toBe("no-referrer");
    expect(res.headers.get("cache-control")).toBe("private, max-age=300");
    const body = await res.text();
    expect(body).toContain("1 failed");
    expect(body).toContain("9 passed");
    expect(body).toContain("queued <b>2m08s</b>");
    expect(body).toContain("7ee67b97888277e02a0d1e86653df7ddfee266c9");
  });

  it("renders log text containing <script> as text", async () => {
    const body = await (await fetch(runUrl())).text();
    expect(body).toContain("&lt;script&gt;alert(1)&lt;/script&gt;");
    expect(body).toContain('<span class="f1">error</span>: &lt;b&gt;boom&lt;/b&gt;');
    expect(body).not.toMatch(/<script/i);
  });

  it("inlines only the tail of a long log and links to the whole of it", async () => {
    const body = await (await fetch(runUrl())).text();
    expect(body).toMatch(/last 200 lines of 293\.\d KB/);
    expect(body).not.toContain("step 1: running");
    const sig = signScope({ kind: "run", runId: RUN_ID }, SECRET);
    const href = `${RUN_ID}/logs/check-pika-rust/guest?sig=${sig}`;
    expect(body).toContain(`href="${href}"`);
    const full = await fetch(new URL(href, `${base}/pikaci/runs/${RUN_ID}`));
    expect(full.status).toBe(200);
    expect(full.headers.get("content-type")).toBe("text/plain; charset=utf-8");
    const text = await full.text();
    expect(text).toContain("step 1: running");
    expect(text).toContain("error: <b>boom</b>");
    expect(text).not.toContain("\u001b");
  });

  it("answers 403 with a plain page for a missing, tampered or foreign signature", async () => {
    const good = runUrl();
    const tampered = good.replace(/sig=(.)/, (_, c: string) => `sig=${c === "A" ? "B" : "A"}`);
    const foreign = `${base}/pikaci/runs/${OTHER_RUN}?sig=${new URL(good).searchParams.get("sig")}`;
    for (const url of [good.split("?")[0]!, tampered, foreign, `${good.split("?")[0]}?sig=<script>`]) {
      const res = await fetch(url);
      expect(res.status, url).toBe(403);
      expect(res.headers.get("content-security-policy")).toContain("default-src 'none'");
      const body = await res.text();
      expect(body).toContain("Link not valid");
      expect(body).not.toContain("<script>");
    }
    // The genuine signature of the other run opens it.
    expect((await fetch(runUrl(OTHER_RUN))).status).toBe(200);
  });

  it("a run's signature opens its logs but not another run's logs", async () => {
    const sigA = signScope({ kind: "run", runId: RUN_ID }, SECRET);
    const res = await fetch(`${base}/pikaci/runs/${OTHER_RUN}/logs/check-pika-rust/guest?sig=${sigA}`);
    expect(res.status).toBe(403);
  });

  it("answers 400 for hostile ids, before and regardless of the signature", async () => {
    const sig = signScope({ kind: "run", runId: RUN_ID }, SECRET);
    for (const path of [
      "/pikaci/runs/..%2F..%2Fetc%2Fpasswd",
      "/pikaci/runs/%2e%2e",
      "/pikaci/runs/../../etc/passwd",
      "/pikaci/runs/20260324T162238Z-7EE67B97",
      `/pikaci/runs/${RUN_ID}/logs/..%2F..%2Frun.json/guest`,
      `/pikaci/runs/${RUN_ID}/logs/check-pika-rust/secret`,
      `/pikaci/runs/${RUN_ID}/logs/.hidden/guest`,
      "/pikaci/runs/%ZZ",
      "/pikaci/repos/-bad/repo",
      "/pikaci/repos/owner/..",
    ]) {
      const res = await rawGet(`${path}?sig=${sig}`);
      expect(res.status, path).toBe(400);
      expect(res.body).not.toContain("passwd");
      expect(res.body).not.toContain("%2e");
    }
  });

  it("answers 404 for an absent run, job or log, and leaves other paths alone", async () => {
    expect((await fetch(runUrl("20270101T000000Z-00000000"))).status).toBe(404);
    const sig = signScope({ kind: "run", runId: RUN_ID }, SECRET);
    expect((await fetch(`${base}/pikaci/runs/${RUN_ID}/logs/no-such-lane/guest?sig=${sig}`)).status).toBe(
      404,
    );
    expect((await fetch(`${base}/pikaci/runs/${RUN_ID}/logs/check-fixture/guest?sig=${sig}`)).status).toBe(
      404,
    );
    expect((await fetch(`${base}/healthz`)).status).toBe(418);
  });

  it("allows only GET and HEAD", async () => {
    const res = await fetch(runUrl(), { method: "POST" });
    expect(res.status).toBe(405);
    expect(res.headers.get("allow")).toBe("GET, HEAD");
    const head = await fetch(runUrl(), { method: "HEAD" });
    expect(head.status).toBe(200);
    expect(await head.text()).toBe("");
  });

  it("serves the repository page with signed links to each of its runs only", async () => {
    const url = signRepoUrl({ baseUrl: base, owner: "sledtools", repo: "pika", secret: SECRET });
    const res = await fetch(url);
    expect(res.status).toBe(200);
    const body = await res.text();
    expect(body).toContain("PR #37 · pika-orch-incus-cleanup-4");
    const links = [...body.matchAll(/href="(\.\.\/\.\.\/runs\/[^"]+)"/g)].map((m) =>
      m[1]!.replace(/&amp;/g, "&"),
    );
    expect(links).toHaveLength(2);
    // Newest first.
    expect(links[0]).toContain(OTHER_RUN);
    for (const link of links) {
      const page = await fetch(new URL(link, url));
      expect(page.status).toBe(200);
    }
    const otherRepo = await fetch(url.replace("/pika?", "/other?"));
    expect(otherRepo.status).toBe(403);
  });

  it("reports a corrupt record as 500 without showing its details", async () => {
    const { writeFile, mkdir } = await import("node:fs/promises");
    const broken = "20260101T000000Z-deadbeef";
    await mkdir(path.join(root, "runs", broken), { recursive: true });
    await writeFile(path.join(root, "runs", broken, "run.json"), "{not json");
    const res = await fetch(runUrl(broken));
    expect(res.status).toBe(500);
    expect(await res.text()).not.toContain(root);
    expect(logged.some((line) => line.includes("not a valid pikaci record"))).toBe(true);
  });
});
