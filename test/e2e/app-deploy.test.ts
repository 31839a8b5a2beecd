import { type ChildProcess, spawn } from "node:child_process";
import { createHmac } from "node:crypto";
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { mkdtemp, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { parseEnv } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type ManifestStandIn, startManifestStandIn } from "../helpers/github-manifest-standin.js";
import { clickThroughRegistration } from "../helpers/manifest-browser.js";

/**
 * The deployment path a maintainer follows, with processes: `pikaci app register` against the
 * GitHub stand-in writes the env file; `pikaci app serve --env-file` starts the App from it.
 * Both run from a copy of the package with only bin/, dist/, app/app.yml and package.json —
 * no node_modules, no sources — which is stricter than `npm install --omit=dev`.
 */
const repo = path.resolve(import.meta.dirname, "../..");
let install: string;
let github: ManifestStandIn;
const children: ChildProcess[] = [];

beforeAll(async () => {
  install = await mkdtemp(path.join(tmpdir(), "pikaci-install-"));
  for (const file of ["bin/pikaci.js", "dist/cli.js", "dist/app.js", "app/app.yml", "package.json"]) {
    mkdirSync(path.dirname(path.join(install, file)), { recursive: true });
    copyFileSync(path.join(repo, file), path.join(install, file));
  }
  github = await startManifestStandIn();
});
afterAll(async () => {
  for (const child of children) child.kill("SIGKILL");
  await github.close();
  await rm(install, { recursive: true, force: true });
});

function pikaci(args: string[], env: Record<string, string> = {}) {
  const child = spawn(process.execPath, [path.join(install, "bin/pikaci.js"), ...args], {
    cwd: install,
    env: { PATH: process.env.PATH ?? "", ...env },
  });
  children.push(child);
  const out = { stdout: "", stderr: "" };
  child.stdout.on("data", (d: Buffer) => {
    out.stdout += d;
  });
  child.stderr.on("data", (d: Buffer) => {
    out.stderr += d;
  });
  const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
  const waitFor = async (stream: "stdout" | "stderr", pattern: RegExp): Promise<RegExpExecArray> => {
    for (let i = 0; i < 200; i++) {
      const m = pattern.exec(out[stream]);
      if (m) return m;
      if (child.exitCode !== null) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error(`no ${pattern} in ${stream}:\n${out.stdout}\n${out.stderr}`);
  };
  return { child, out, exited, waitFor };
}

function delivery(body: string, secret: string) {
  return {
    "content-type": "application/json",
    "x-github-event": "ping",
    "x-github-delivery": "72d3162e-cc78-11e3-81ab-4c9367dc0958",
    "x-hub-signature-256": `sha256=${createHmac("sha256", secret).update(body).digest("hex")}`,
  };
}

describe("register, then serve, from the compiled package", () => {
  const envFile = () => path.join(install, "pikaci-app.env");

  it("pikaci app register writes a 0600 env file from GitHub's answer", async () => {
    const register = pikaci([
      "app",
      "register",
      "--public-url",
      "https://ci.example.org",
      "--github-url",
      github.url,
      "--github-api-url",
      github.url,
      "--port",
      "0",
      "--state-root",
      path.join(install, "state"),
    ]);
    const [, page] = await register.waitFor("stdout", /open (\S+) in a browser/);
    const { back } = await clickThroughRegistration(page!);
    expect(back.status).toBe(200);
    expect(await register.exited).toBe(0);
    expect(register.out.stdout).toContain("mode 0600");
    expect((await stat(envFile())).mode & 0o777).toBe(0o600);
    const printed = register.out.stdout + register.out.stderr;
    expect(printed).not.toContain(github.issued!.webhook_secret);
    expect(printed).not.toContain("PRIVATE KEY");
    expect(github.api.map((r) => [r.operationId, r.problems])).toEqual([["apps/create-from-manifest", []]]);
  });

  it("pikaci app serve starts from that file, answers /pikaci/healthz and accepts a signed delivery", async () => {
    const serve = pikaci(["app", "serve", "--env-file", envFile()], { PORT: "0", HOST: "127.0.0.1" });
    const [line, port] = await serve.waitFor("stderr", /listening on http:\/\/127\.0\.0\.1:(\d+)[^\n]*/);
    expect(line).toContain("public URL https://ci.example.org");
    expect(line).toContain("webhooks at https://ci.example.org/api/github/webhooks");
    const base = `http://127.0.0.1:${port}`;

    const health = await fetch(`${base}/pikaci/healthz`);
    expect(health.status).toBe(200);
    expect(await health.json()).toEqual({ status: "ok" });

    const secret = parseEnv(readFileSync(envFile(), "utf8")).WEBHOOK_SECRET!;
    const body = JSON.stringify({ zen: "Keep it logically awesome.", hook_id: 1 });
    const good = await fetch(`${base}/api/github/webhooks`, {
      method: "POST",
      body,
      headers: delivery(body, secret),
    });
    expect(good.status).toBe(200);
    const forged = await fetch(`${base}/api/github/webhooks`, {
      method: "POST",
      body,
      headers: delivery(body, "not-the-secret"),
    });
    expect(forged.status).toBe(400);

    serve.child.kill("SIGTERM");
    expect(await serve.exited).toBe(0);
  });

  it("a bad environment exits 2 and names the variable", async () => {
    const text = readFileSync(envFile(), "utf8").replace(/^WEBHOOK_SECRET=.*\n/m, "");
    const broken = path.join(install, "broken.env");
    writeFileSync(broken, text, { mode: 0o600 });
    const serve = pikaci(["app", "serve", "--env-file", broken], { PORT: "0", HOST: "127.0.0.1" });
    expect(await serve.exited).toBe(2);
    expect(serve.out.stderr).toMatch(/WEBHOOK_SECRET is missing/);
  });
});
