import { execFileSync } from "node:child_process";
import { createHmac, generateKeyPairSync, randomBytes } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import { renderEnvFile } from "../../src/cli/app/env-file.js";
import { describeE2E, REPO_ROOT } from "./helpers/test-host.js";

/**
 * deploy/systemd/pikaci-app.service started by a real systemd (PID 1 of an Incus container, image
 * from test/host/systemd-image.sh): DynamicUser, the syscall filter, NoNewPrivileges,
 * StateDirectory and the env file must let the compiled App serve, and exit 2 must not loop.
 * `systemd-analyze verify` (scripts/check-systemd.sh) checks the syntax; this checks it runs.
 */
const IMAGE = "pikaci-test-systemd";
// Not `pikaci-…`: `pikaci gc` tests treat such instances as lanes.
const name = `deploy-systemd-${randomBytes(4).toString("hex")}`;
const SECRET = randomBytes(20).toString("hex");
let scratch: string;

const incus = (...args: string[]) =>
  execFileSync("incus", args, { encoding: "utf8", timeout: 120_000, stdio: ["ignore", "pipe", "pipe"] });
const inside = (script: string) => incus("exec", name, "--", "sh", "-c", script);
const show = (prop: string) => inside(`systemctl show -p ${prop} --value pikaci-app`).trim();

async function until<T>(probe: () => T | undefined, what: string, seconds = 60): Promise<T> {
  for (let i = 0; i < seconds * 4; i++) {
    try {
      const value = probe();
      if (value !== undefined) return value;
    } catch {}
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(
    `timed out waiting for ${what}:\n${inside("journalctl -u pikaci-app -o cat --no-pager | tail -20")}`,
  );
}

describeE2E("the App's systemd unit under a real systemd", () => {
  beforeAll(async () => {
    execFileSync("bash", [path.join(REPO_ROOT, "test/host/systemd-image.sh"), IMAGE], {
      stdio: "inherit",
      timeout: 900_000,
    });
    incus("launch", IMAGE, name);
    await until(
      () => (/running|degraded/.test(inside("systemctl is-system-running || true")) ? true : undefined),
      "boot",
    );
    incus("file", "push", "--mode", "0755", process.execPath, `${name}/usr/bin/node`);
    for (const file of ["bin/pikaci.js", "dist/cli.js", "dist/app.js", "app/app.yml", "package.json"]) {
      incus("file", "push", "-p", path.join(REPO_ROOT, file), `${name}/opt/pikaci/${file}`);
    }
    incus(
      "file",
      "push",
      path.join(REPO_ROOT, "deploy/systemd/pikaci-app.service"),
      `${name}/etc/systemd/system/`,
    );
    scratch = mkdtempSync(path.join(tmpdir(), "pikaci-unit-"));
    const pem = generateKeyPairSync("rsa", { modulusLength: 2048 }).privateKey.export({
      type: "pkcs1",
      format: "pem",
    });
    const env = renderEnvFile(
      {
        APP_ID: "4242",
        PRIVATE_KEY: pem as string,
        WEBHOOK_SECRET: SECRET,
        PIKACI_API_TOKEN: randomBytes(24).toString("base64url"),
        PIKACI_PUBLIC_URL: "https://ci.example.org",
        PIKACI_STATE_ROOT: "/var/lib/pikaci",
      },
      "test",
    );
    writeFileSync(path.join(scratch, "app.env"), env, { mode: 0o600 });
    incus(
      "file",
      "push",
      "-p",
      "--mode",
      "0600",
      path.join(scratch, "app.env"),
      `${name}/etc/pikaci/app.env`,
    );
    inside("systemctl daemon-reload && systemctl start pikaci-app");
  }, 1_200_000);

  afterAll(() => {
    try {
      incus("delete", "--force", name);
    } finally {
      if (scratch) rmSync(scratch, { recursive: true, force: true });
    }
  });

  it("serves as an unprivileged dynamic user, sandboxed, with its state directory", async () => {
    const health = await until(() => inside("curl -fsS 127.0.0.1:3000/pikaci/healthz"), "healthz");
    expect(JSON.parse(health)).toEqual({ status: "ok" });
    const status = inside(`cat /proc/${show("MainPID")}/status`);
    expect(status).toMatch(/^Uid:\s+([1-9]\d*)\s/m);
    expect(status).toMatch(/^NoNewPrivs:\s+1$/m);
    expect(status).toMatch(/^Seccomp:\s+2$/m);
    expect(status).toMatch(/^CapEff:\s+0+$/m);
    expect(inside("readlink /var/lib/pikaci").trim()).toBe("private/pikaci");
    expect(inside("journalctl -u pikaci-app -o cat --no-pager")).toContain(
      "pikaci app: listening on http://127.0.0.1:3000; public URL https://ci.example.org; webhooks at https://ci.example.org/api/github/webhooks",
    );
  });

  it("accepts a delivery signed with the env file's secret", () => {
    const body = JSON.stringify({ zen: "Design for failure.", hook_id: 1 });
    const signature = `sha256=${createHmac("sha256", SECRET).update(body).digest("hex")}`;
    const code = inside(
      `curl -s -o /dev/null -w '%{http_code}' -X POST 127.0.0.1:3000/api/github/webhooks ` +
        `-H 'content-type: application/json' -H 'x-github-event: ping' -H 'x-github-delivery: 1' ` +
        `-H 'x-hub-signature-256: ${signature}' -d '${body}'`,
    );
    expect(code).toBe("200");
  });

  it("a bad environment stops at exit 2, naming the variable, without a restart loop", async () => {
    inside("sed -i '/^WEBHOOK_SECRET=/d' /etc/pikaci/app.env && systemctl restart pikaci-app || true");
    await until(() => (show("ActiveState") === "failed" ? true : undefined), "the unit to fail", 30);
    expect(show("ExecMainStatus")).toBe("2");
    await new Promise((r) => setTimeout(r, 6_000)); // longer than RestartSec=5s
    expect(show("NRestarts")).toBe("0");
    expect(inside("journalctl -u pikaci-app -o cat --no-pager")).toContain("WEBHOOK_SECRET is missing");
  });
});
