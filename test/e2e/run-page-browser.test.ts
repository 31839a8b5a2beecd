import { execFileSync } from "node:child_process";
import { generateKeyPairSync } from "node:crypto";
import { existsSync } from "node:fs";
import { mkdir, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { type Browser, chromium, type Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createPikaciServer, type PikaciServer } from "../../app/src/create-server.js";
import { signRunUrl } from "../../src/pages/capability.js";
import { createRunPagesHandler } from "../../src/pages/handler.js";
import { createStateStore } from "../../src/store/index.js";
import { RUN_ID, sampleLog, sampleRun } from "../unit/pages/fixtures.js";

const CHROMIUM = "/usr/bin/chromium";
const SECRET = "browser-test-webhook-secret";
const SCREENSHOT = path.resolve("test/artifacts/run-page.png");
const run = sampleRun();

let root: string;
let app: PikaciServer;
let base: string;
let browser: Browser;

beforeAll(async () => {
  if (!existsSync(CHROMIUM)) {
    execFileSync("bash", ["scripts/install-chromium.sh"], { stdio: "inherit", timeout: 900_000 });
  }
  root = await mkdtemp(path.join(tmpdir(), "pikaci-browser-"));
  const store = createStateStore({ root });
  await store.writeRun(run);
  for (const job of run.jobs) {
    const guest = sampleLog(40_000, job.lane_id);
    const extra =
      job.status === "failed"
        ? "<script>alert(1)</script>\n\u001b[1;31merror\u001b[0m: host_has_xcode\n"
        : "";
    await store.appendLog(run.run_id, job.lane_id, "guest", guest + extra);
    await store.appendLog(
      run.run_id,
      job.lane_id,
      "host",
      `[host] prepare_runtime: incus init pikaci-${job.lane_id}\n`,
    );
  }
  const { privateKey } = generateKeyPairSync("rsa", {
    modulusLength: 2048,
    privateKeyEncoding: { type: "pkcs8", format: "pem" },
    publicKeyEncoding: { type: "spki", format: "pem" },
  });
  // The real App server, with the run pages mounted the way the App mounts extra routes.
  app = await createPikaciServer({
    env: {
      appId: 1,
      privateKey,
      webhookSecret: SECRET,
      stateRoot: root,
      apiToken: "api-token-for-the-browser-test",
      publicUrl: "http://127.0.0.1",
      port: 0,
      host: "127.0.0.1",
      writeThrottle: false,
    },
    routes: [createRunPagesHandler({ store, secret: SECRET })],
  });
  const address = await app.listen();
  base = `http://127.0.0.1:${address.port}`;
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
    ],
  });
}, 900_000);

afterAll(async () => {
  await browser?.close();
  await app?.close();
  if (root) await rm(root, { recursive: true, force: true });
});

/** Console errors and CSP violations, collected from the moment the page starts loading. */
async function watch(page: Page): Promise<() => Promise<string[]>> {
  const problems: string[] = [];
  page.on("console", (message) => {
    if (message.type() === "error" || message.type() === "warning")
      problems.push(`console: ${message.text()}`);
  });
  page.on("pageerror", (error) => problems.push(`pageerror: ${error.message}`));
  // Plain script strings: the test is compiled without the DOM library.
  await page.addInitScript({
    content: `document.addEventListener("securitypolicyviolation", (e) => {
      window.__csp = [...(window.__csp || []), e.violatedDirective + " " + e.blockedURI];
    });`,
  });
  return async () => [...problems, ...((await page.evaluate("window.__csp || []")) as string[])];
}

describe("run page in a browser", () => {
  it("shows the lanes, one timeline bar per phase, no errors and no CSP violations", async () => {
    const page = await browser.newPage({ viewport: { width: 1366, height: 900 }, deviceScaleFactor: 1 });
    const problems = await watch(page);
    const response = await page.goto(signRunUrl({ baseUrl: base, runId: RUN_ID, secret: SECRET }));
    expect(response?.status()).toBe(200);

    const rows = page.locator("table.lanes tbody tr");
    await expect.poll(() => rows.count()).toBe(run.jobs.length);
    expect(await rows.evaluateAll((trs) => trs.map((tr) => tr.getAttribute("data-lane")))).toEqual(
      run.jobs.map((job) => job.lane_id),
    );
    const failedRow = page.locator('tr[data-lane="check-apple-host-sanity"] td.st');
    expect(await failedRow.textContent()).toContain("failed");

    const bars = page.locator("svg.gantt rect.bar");
    const phaseCount = run.jobs.reduce((sum, job) => sum + job.phases.length, 0);
    expect(await bars.count()).toBe(phaseCount);
    for (const job of run.jobs) {
      const laneBars = page.locator(`svg.gantt g.lane[data-lane="${job.lane_id}"] rect.bar`);
      expect(await laneBars.evaluateAll((rects) => rects.map((r) => r.getAttribute("data-phase")))).toEqual(
        job.phases.map((phase) => phase.phase),
      );
    }
    // Every bar is drawn (has a real box) and carries a tooltip.
    const boxes = await bars.evaluateAll((rects) =>
      rects.map((r) => ({
        w: (r as unknown as { getBBox(): { width: number } }).getBBox().width,
        title: r.querySelector("title")?.textContent,
      })),
    );
    expect(boxes.every((b) => b.w >= 1 && b.title?.includes(":"))).toBe(true);
    // The slow prepare_runtime of check-agent-contracts stands out.
    const slow = page.locator('g.lane[data-lane="check-agent-contracts"] rect.slow');
    expect(await slow.getAttribute("data-phase")).toBe("prepare_runtime");

    // Log text with <script> is shown as text, never executed.
    const failedLog = page.locator('#job-check-apple-host-sanity [data-kind="guest"] pre');
    expect(await failedLog.textContent()).toContain("<script>alert(1)</script>");
    expect(await page.locator("script").count()).toBe(0);

    await mkdir(path.dirname(SCREENSHOT), { recursive: true });
    await page.screenshot({ path: SCREENSHOT, fullPage: true });
    expect(await problems()).toEqual([]);
    await page.close();
  });

  it("opens and closes a lane's logs and follows 'show all' — with JavaScript turned off", async () => {
    const context = await browser.newContext({
      javaScriptEnabled: false,
      viewport: { width: 1366, height: 900 },
    });
    const page = await context.newPage();
    await page.goto(signRunUrl({ baseUrl: base, runId: RUN_ID, secret: SECRET }));
    const details = page.locator("details#job-check-pika-rust");
    const log = details.locator('[data-kind="guest"] pre');
    expect(await details.getAttribute("open")).toBeNull();
    expect(await log.isVisible()).toBe(false);
    await details.locator("summary").click();
    expect(await details.getAttribute("open")).not.toBeNull();
    expect(await log.isVisible()).toBe(true);
    expect(await log.textContent()).toContain("check-pika-rust finished");
    expect(await log.textContent()).not.toContain("step 1: running");
    await details.locator("summary").click();
    expect(await details.getAttribute("open")).toBeNull();
    expect(await log.isVisible()).toBe(false);

    // The failed lane is open from the start.
    expect(await page.locator("details#job-check-apple-host-sanity").getAttribute("open")).not.toBeNull();

    await details.locator("summary").click();
    await details.locator('[data-kind="guest"] a.show-all').click();
    await page.waitForURL(/\/logs\/check-pika-rust\/guest\?sig=/);
    const full = await page.locator("body").textContent();
    expect(full).toContain("[check-pika-rust] step 1: running");
    expect(full).toContain("check-pika-rust finished");
    expect(full).not.toContain("\u001b[");
    await context.close();
  });

  it("refuses a tampered link with a plain 403 page", async () => {
    const page = await browser.newPage();
    const good = signRunUrl({ baseUrl: base, runId: RUN_ID, secret: SECRET });
    const at = good.indexOf("sig=") + 4;
    const response = await page.goto(
      `${good.slice(0, at)}${good[at] === "A" ? "B" : "A"}${good.slice(at + 1)}`,
    );
    expect(response?.status()).toBe(403);
    expect(await page.locator("h1").textContent()).toBe("Link not valid");
    await page.close();
  });
});
