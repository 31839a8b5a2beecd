import { mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { actionContext, readEventPayload } from "../../../src/action/context.js";
import { hostConnection } from "../../../src/action/credentials.js";
import { parseInputs } from "../../../src/action/inputs.js";
import { UsageError } from "../../../src/errors/index.js";
import { runArtifactFiles } from "../../../src/store/index.js";

const env = {
  GITHUB_REPOSITORY: "octo/demo",
  GITHUB_SHA: "1".repeat(40),
  GITHUB_RUN_ID: "99",
  GITHUB_SERVER_URL: "https://ghe.example",
  GITHUB_WORKSPACE: "/ws",
  RUNNER_TEMP: "/tmp/r",
};

describe("actionContext", () => {
  it("uses the PR head sha on pull_request events and links the workflow run", async () => {
    const dir = await mkdtemp(path.join(tmpdir(), "pikaci-ctx-"));
    const event = path.join(dir, "event.json");
    await writeFile(event, JSON.stringify({ pull_request: { number: 7, head: { sha: "2".repeat(40) } } }));
    const ctx = actionContext(env, await readEventPayload(event));
    expect(ctx).toMatchObject({
      owner: "octo",
      repo: "demo",
      headSha: "2".repeat(40),
      pullRequest: 7,
      runUrl: "https://ghe.example/octo/demo/actions/runs/99",
      apiUrl: "https://api.github.com",
    });
  });

  it("falls back to GITHUB_SHA, and refuses to run outside Actions", async () => {
    expect(actionContext(env, await readEventPayload(undefined)).headSha).toBe("1".repeat(40));
    expect(() => actionContext({}, {})).toThrow(UsageError);
  });
});

describe("hostConnection", () => {
  const KEY = "-----BEGIN OPENSSH PRIVATE KEY-----\nAAAA\n-----END OPENSSH PRIVATE KEY-----";
  it("passes the key in memory and splits fingerprints from known_hosts lines", () => {
    const fp = "SHA256:nThbg6kXUpJWGl7E1IGOCspRomTxdCARLviKw6E5SY8";
    const withFp = hostConnection(
      parseInputs(
        (n) => ({ token: "t", host: "ssh://ci@h:22", "ssh-key": KEY, "ssh-known-hosts": fp })[n] ?? "",
      ),
    );
    expect(withFp).toMatchObject({ hosts: [{ url: "ssh://ci@h:22" }], credentials: { fingerprint: fp } });
    expect(withFp.credentials?.privateKey).toBe(`${KEY}\n`);
    expect(withFp.credentials?.knownHosts).toBeUndefined();
    const line = "[h]:22 ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHostKey";
    const withLine = hostConnection(
      parseInputs(
        (n) => ({ token: "t", host: "ssh://ci@h:22", "ssh-key": KEY, "ssh-known-hosts": line })[n] ?? "",
      ),
    );
    expect(withLine.credentials?.knownHosts).toBe(`${line}\n`);
    expect("fingerprint" in (withLine.credentials ?? {})).toBe(false);
  });
});

describe("runArtifactFiles", () => {
  it("lists records and logs only, sorted", async () => {
    const dir = await mkdtemp(path.join(tmpdir(), "pikaci-art-"));
    const { mkdir } = await import("node:fs/promises");
    await mkdir(path.join(dir, "jobs/a"), { recursive: true });
    for (const f of [
      "run.json",
      "plan.json",
      "jobs/a/guest.log",
      "jobs/a/host.log",
      "jobs/a/result.json",
      ".run.json.tmp",
    ])
      await writeFile(path.join(dir, f), "x");
    expect(await runArtifactFiles(dir)).toEqual([
      "jobs/a/guest.log",
      "jobs/a/host.log",
      "plan.json",
      "run.json",
    ]);
  });
});
