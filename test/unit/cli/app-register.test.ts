import { readFileSync } from "node:fs";
import { mkdtemp, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { parseEnv } from "node:util";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { loadAppEnv } from "../../../app/src/env.js";
import { buildManifest, creationFormUrl } from "../../../src/cli/app/manifest.js";
import { type RegisterParams, registerApp } from "../../../src/cli/app/register.js";
import { type ManifestStandIn, startManifestStandIn } from "../../helpers/github-manifest-standin.js";
import { clickThroughRegistration } from "../../helpers/manifest-browser.js";

const appYml = readFileSync(new URL("../../../app/app.yml", import.meta.url), "utf8");
let github: ManifestStandIn;
let dir: string;

beforeEach(async () => {
  github = await startManifestStandIn();
  dir = await mkdtemp(path.join(tmpdir(), "pikaci-register-"));
});
afterEach(async () => {
  await github.close();
  await rm(dir, { recursive: true, force: true });
});

function start(overrides: Partial<RegisterParams> = {}) {
  const said: string[] = [];
  let pageUrl: (url: string) => void = () => {};
  const page = new Promise<string>((resolve) => {
    pageUrl = resolve;
  });
  const done = registerApp({
    appYml,
    publicUrl: "https://ci.example.org",
    envFile: path.join(dir, "app.env"),
    stateRoot: "/var/lib/pikaci",
    githubUrl: github.url,
    githubApiUrl: github.url,
    writeApiUrl: true,
    host: "127.0.0.1",
    port: 0,
    webhookPath: "/api/github/webhooks",
    say: (line) => {
      said.push(line);
      const url = /open (\S+) in a browser/.exec(line)?.[1];
      if (url) pageUrl(url);
    },
    ...overrides,
  });
  return { said, page, done };
}

describe("pikaci app register against GitHub's manifest flow (stand-in)", () => {
  it("posts app.yml's manifest with a state, exchanges the code as documented, writes a 0600 env file", async () => {
    const { said, page, done } = start();
    const { form, back } = await clickThroughRegistration(await page);
    expect(back.status).toBe(200);
    const app = await done;

    expect(form.action).toMatch(new RegExp(`^${github.url}/settings/apps/new\\?state=[0-9a-f]{32}$`));
    expect(github.created).toHaveLength(1);
    expect(github.created[0]!.org).toBeNull();
    expect(form.manifest).toMatchObject({
      hook_attributes: { url: "https://ci.example.org/api/github/webhooks", active: true },
      default_events: ["check_run", "check_suite", "merge_group", "pull_request", "push", "workflow_run"],
      default_permissions: { checks: "write", contents: "read", actions: "write", merge_queues: "read" },
      public: false,
    });
    expect(github.api).toEqual([
      {
        method: "POST",
        path: expect.stringMatching(/^\/app-manifests\/[0-9a-f]+\/conversions$/),
        operationId: "apps/create-from-manifest",
        problems: [],
      },
    ]);

    const file = path.join(dir, "app.env");
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    const values = parseEnv(readFileSync(file, "utf8"));
    expect(app.id).toBe(4242);
    expect(values.APP_ID).toBe("4242");
    expect(values.WEBHOOK_SECRET).toBe(github.issued!.webhook_secret);
    expect(values.PIKACI_GITHUB_API_URL).toBe(github.url);
    // The App's own env loader accepts the file as written: PEM intact, token long enough.
    const env = loadAppEnv(values);
    expect(env.privateKey).toBe(github.issued!.pem);
    expect(env.apiToken.length).toBeGreaterThanOrEqual(32);
    expect(env.stateRoot).toBe("/var/lib/pikaci");
    // Nothing secret reaches the terminal.
    const printed = said.join("\n");
    for (const secret of [github.issued!.webhook_secret, env.apiToken, "PRIVATE KEY"])
      expect(printed).not.toContain(secret);
  });

  it("uses the organisation's form with --org", async () => {
    const { page, done } = start({ org: "acme" });
    const { form } = await clickThroughRegistration(await page);
    await done;
    expect(form.action).toMatch(new RegExp(`^${github.url}/organizations/acme/settings/apps/new\\?state=`));
    expect(github.created[0]!.org).toBe("acme");
  });

  it("ignores a redirect carrying another state: no exchange, no file, still waiting", async () => {
    const { page, done } = start();
    let finished = false;
    void done.then(() => {
      finished = true;
    });
    const { back } = await clickThroughRegistration(await page, (u) => {
      u.searchParams.set("state", "0".repeat(32));
      return u;
    });
    expect(back.status).toBe(400);
    expect(github.api).toEqual([]);
    await expect(stat(path.join(dir, "app.env"))).rejects.toThrow(/ENOENT/);
    expect(finished).toBe(false);
    // The genuine redirect still completes the registration.
    await clickThroughRegistration(await page);
    await done;
  });

  it("refuses to overwrite an existing env file, naming the fix", async () => {
    const { writeFile } = await import("node:fs/promises");
    await writeFile(path.join(dir, "app.env"), "APP_ID='1'\n");
    const { page, done } = start();
    const settled = done.catch((e: unknown) => e);
    await clickThroughRegistration(await page);
    const error = (await settled) as Error & { hint?: string };
    expect(error.message).toMatch(/already exists/);
    expect(error.hint).toMatch(/--env-file/);
    expect(readFileSync(path.join(dir, "app.env"), "utf8")).toBe("APP_ID='1'\n");
  });
});

describe("manifest (pure)", () => {
  it("takes the webhook URL from the public URL and the name override", () => {
    const manifest = buildManifest({
      appYml,
      publicUrl: "https://ci.example.org",
      redirectUrl: "http://127.0.0.1:3001/pikaci/registered",
      webhookPath: "/hooks",
      name: "acme-pikaci",
    });
    expect(manifest).toMatchObject({
      name: "acme-pikaci",
      url: "https://github.com/pikaci/pikaci",
      hook_attributes: { url: "https://ci.example.org/hooks" },
      redirect_url: "http://127.0.0.1:3001/pikaci/registered",
    });
  });

  it("rejects an app.yml without permissions, naming the file", () => {
    expect(() =>
      buildManifest({
        appYml: "name: x\nurl: https://x.org\n",
        publicUrl: "https://a",
        redirectUrl: "http://b",
        webhookPath: "/w",
      }),
    ).toThrow(/app.yml is not a GitHub App manifest/);
  });

  it("builds the user and organisation form URLs", () => {
    expect(creationFormUrl({ githubUrl: "https://github.com", state: "s1" })).toBe(
      "https://github.com/settings/apps/new?state=s1",
    );
    expect(creationFormUrl({ githubUrl: "https://github.com", org: "a b", state: "s1" })).toBe(
      "https://github.com/organizations/a%20b/settings/apps/new?state=s1",
    );
  });
});
