import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { describeError, InfrastructureError, UsageError } from "../../../src/errors/index.js";
import { loadKnownHosts, loadSshKey } from "../../../src/ssh/credentials.js";
import { connectSsh } from "../../../src/ssh/ssh-transport.js";

let dir: string;
let keyText: string;
const secretLines = () => keyText.split("\n").filter((line) => line.length > 20 && !line.startsWith("-----"));

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "pikaci-cred-"));
  execFileSync("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-f", join(dir, "id")]);
  keyText = readFileSync(join(dir, "id"), "utf8");
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A port nothing listens on: bind one, note it, close it. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

function assertNoKeyMaterial(text: string) {
  for (const line of secretLines()) expect(text).not.toContain(line.slice(0, 24));
  expect(text).not.toContain("PRIVATE KEY");
}

describe("ssh credentials", () => {
  it("reads the key from a file or from PIKACI_SSH_KEY (restoring escaped newlines)", async () => {
    expect((await loadSshKey({ keyPath: join(dir, "id"), env: {} })).privateKey.toString()).toBe(keyText);
    const escaped = keyText.trimEnd().replace(/\n/g, "\\n");
    const fromEnv = await loadSshKey({ env: { PIKACI_SSH_KEY: escaped } });
    expect(fromEnv.privateKey.toString()).toBe(keyText);
    expect(fromEnv.source).toBe("PIKACI_SSH_KEY");
  });

  it("names the fix when no key is given or the file is missing", async () => {
    await expect(loadSshKey({ env: {} })).rejects.toThrow(UsageError);
    await expect(loadSshKey({ keyPath: join(dir, "nope"), env: {} })).rejects.toThrow(
      /cannot read the ssh key file .*ENOENT/,
    );
    expect(await loadKnownHosts({ env: {} })).toBeUndefined();
    expect(await loadKnownHosts({ env: { PIKACI_SSH_KNOWN_HOSTS: "h ssh-ed25519 AAAA" } })).toBe(
      "h ssh-ed25519 AAAA",
    );
  });

  it("never puts the key in an error: unparsable key", async () => {
    const garbage = `-----BEGIN OPENSSH PRIVATE KEY-----\n${"c2VjcmV0LWtleS1tYXRlcmlhbA".repeat(4)}\n-----END OPENSSH PRIVATE KEY-----\n`;
    const error = await connectSsh({
      url: "ssh://root@127.0.0.1:1",
      privateKey: garbage,
      acceptUnknownHostKey: true,
    }).catch((e) => e);
    expect(error).toBeInstanceOf(UsageError);
    const text = `${describeError(error)}\n${error.stack}`;
    expect(text).toMatch(/private key cannot be used/);
    expect(text).not.toContain("c2VjcmV0LWtleS1tYXRlcmlhbA");
  });

  it("never puts the key in an error: unreachable host", async () => {
    const port = await closedPort();
    const error = await connectSsh({
      url: `ssh://root@127.0.0.1:${port}`,
      privateKey: keyText,
      acceptUnknownHostKey: true,
    }).catch((e) => e);
    expect(error).toBeInstanceOf(InfrastructureError);
    expect(error.message).toBe(`build host 127.0.0.1:${port} unreachable: ECONNREFUSED`);
    expect(error.hint).toMatch(/sshd/);
    assertNoKeyMaterial(`${describeError(error)}\n${error.stack}\n${JSON.stringify(error)}`);
  });
});
