import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createServer, type Server, type Socket, connect as tcpConnect } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Readable } from "node:stream";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CancelledError, describeError, InfrastructureError } from "../../src/errors/index.js";
import { connectSsh, type SshTransport } from "../../src/ssh/ssh-transport.js";
import { hostileCommand } from "../unit/ssh/hostile-command.js";
import { requireHostEnvVars } from "./helpers/test-host.js";

/** Real sshd from test/host/setup.sh (.test-host/host.env); skipped with a note when it is absent. */
const env = requireHostEnvVars();

describe.skipIf(!env)("ssh2 transport against the real sshd", () => {
  const host = env?.PIKACI_TEST_SSH_HOST ?? "";
  const port = Number(env?.PIKACI_TEST_SSH_PORT);
  const url = `ssh://${env?.PIKACI_TEST_SSH_USER}@${host}:${port}`;
  let key: Buffer;
  let knownHosts: string;
  let transport: SshTransport;
  let scratch: string;

  const keyFragments = () =>
    key
      .toString()
      .split("\n")
      .filter((line) => line.length > 20 && !line.startsWith("-----"))
      .map((line) => line.slice(0, 24));
  const expectNoKey = (error: unknown) => {
    const text = `${describeError(error)}\n${(error as Error).stack}\n${JSON.stringify(error)}`;
    for (const fragment of keyFragments()) expect(text).not.toContain(fragment);
  };

  beforeAll(async () => {
    key = readFileSync(env!.PIKACI_TEST_SSH_KEY!);
    knownHosts = readFileSync(env!.PIKACI_TEST_KNOWN_HOSTS_FILE!, "utf8");
    transport = await connectSsh({ url, privateKey: key, knownHosts });
    scratch = mkdtempSync(join(tmpdir(), "pikaci-ssh-e2e-"));
  });
  afterAll(async () => {
    await transport?.close();
    rmSync(scratch, { recursive: true, force: true });
  });

  it("delivers hostile argv byte for byte through the remote login shell", async () => {
    const args = [
      "it's",
      '"x"',
      "$(id) `id` $\u007bHOME}",
      "a\nb",
      "grüße 🚀",
      "",
      "-n",
      hostileCommand(8192),
    ];
    const result = await transport.exec(["printf", "%s\\0", ...args]);
    expect(result.code).toBe(0);
    const parts = result.stdout.toString("utf8").split("\0");
    parts.pop();
    expect(parts).toEqual(args);
  });

  it("reports exit codes and stderr, and streams stdin", async () => {
    const failed = await transport.exec(["sh", "-c", "echo oops >&2; exit 7"]);
    expect(failed).toMatchObject({ code: 7 });
    expect(failed.stderr.toString()).toBe("oops\n");
    const big = Buffer.alloc(3 * 1024 * 1024, "pikaci\n");
    const viaStream = await transport.exec(["sha256sum"], {
      stdin: Readable.from([big.subarray(0, 1000), big.subarray(1000)]),
    });
    const expected = execFileSync("sha256sum", { input: big }).toString();
    expect(viaStream.stdout.toString()).toBe(expected);
    expect((await transport.exec(["cat"], { stdin: "hello" })).stdout.toString()).toBe("hello");
  });

  it("runs 9 concurrent commands on one connection: 8 at a time, all succeed", async () => {
    // Each command prints its own start and end (ns, the host's clock) so the overlap is measured
    // where the commands ran, not inferred from the wall time here.
    const results = await Promise.all(
      Array.from({ length: 9 }, (_, i) =>
        transport.exec(["sh", "-c", `echo ${i} $(date +%s%N); sleep 1; echo $(date +%s%N)`]),
      ),
    );
    expect(results.map((r) => [r.code, r.stdout.toString().split(/\s+/)[0]])).toEqual(
      Array.from({ length: 9 }, (_, i) => [0, String(i)]),
    );
    const spans = results.map((r) => {
      const [, start, end] = r.stdout.toString().trim().split(/\s+/).map(Number);
      return { start: start!, end: end! };
    });
    const peak = Math.max(
      ...spans.map((s) => spans.filter((o) => o.start <= s.start && s.start < o.end).length),
    );
    expect(peak).toBe(8);
    // The 9th waited for a free channel: it started after one of the first 8 had ended.
    const last = spans.reduce((a, b) => (b.start > a.start ? b : a));
    expect(spans.some((s) => s !== last && s.end <= last.start)).toBe(true);
  });

  it("times out a command with an InfrastructureError, and aborts with CancelledError", async () => {
    const timedOut = await transport.exec(["sleep", "30"], { timeoutMs: 300 }).catch((e) => e);
    expect(timedOut).toBeInstanceOf(InfrastructureError);
    expect(timedOut.message).toMatch(/`sleep` on 127\.0\.0\.1:\d+ timed out after 300 ms/);
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 200);
    await expect(transport.exec(["sleep", "30"], { signal: controller.signal })).rejects.toBeInstanceOf(
      CancelledError,
    );
    // The connection is still good afterwards.
    expect((await transport.exec(["echo", "ok"])).stdout.toString()).toBe("ok\n");
  });

  it("pins by SHA256 fingerprint as well as by known_hosts line", async () => {
    const pinned = await connectSsh({
      url,
      privateKey: key,
      fingerprint: env!.PIKACI_TEST_HOST_KEY_FINGERPRINT,
    });
    expect(pinned.hostKeyFingerprint).toContain(env!.PIKACI_TEST_HOST_KEY_FINGERPRINT!);
    await pinned.close();
  });

  it("fails authentication with a clear message and no key material", async () => {
    execFileSync("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-f", join(scratch, "other")]);
    const other = readFileSync(join(scratch, "other"));
    const error = await connectSsh({ url, privateKey: other, knownHosts }).catch((e) => e);
    expect(error).toBeInstanceOf(InfrastructureError);
    expect(error.message).toBe(
      `authentication failed for root@${host}:${port} — check the ssh key / authorized_keys`,
    );
    expect(error.hint).toMatch(/authorized_keys/);
    expectNoKey(error);
  });

  it("refuses a host whose key does not match the pin (possible MITM)", async () => {
    execFileSync("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-f", join(scratch, "fake_host")]);
    const fake = readFileSync(join(scratch, "fake_host.pub"), "utf8").split(" ").slice(0, 2).join(" ");
    const error = await connectSsh({ url, privateKey: key, knownHosts: `[${host}]:${port} ${fake}\n` }).catch(
      (e) => e,
    );
    expect(error).toBeInstanceOf(InfrastructureError);
    expect(error.message).toMatch(
      new RegExp(
        `^host key for \\[${host.replace(/\./g, "\\.")}\\]:${port} does not match the pinned key .*possible MITM.* update ssh-known-hosts`,
      ),
    );
    expect(error.message).toContain(env!.PIKACI_TEST_HOST_KEY_FINGERPRINT);
    expectNoKey(error);
    const wrongPrint = await connectSsh({
      url,
      privateKey: key,
      fingerprint: "SHA256:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
    }).catch((e) => e);
    expect(wrongPrint.message).toMatch(/does not match the pinned key/);
  });

  it("refuses an unpinned host unless explicitly told to accept it", async () => {
    const error = await connectSsh({ url, privateKey: key }).catch((e) => e);
    expect(error).toBeInstanceOf(InfrastructureError);
    expect(error.message).toMatch(
      /^no pinned host key for \[127\.0\.0\.1\]:\d+ \(it presented ssh-ed25519 SHA256:/,
    );
    expect(error.hint).toContain(`ssh-keyscan -p ${port} ${host}`);
    expect(error.hint).toContain("--known-hosts");
    const accepted = await connectSsh({ url, privateKey: key, acceptUnknownHostKey: true });
    expect((await accepted.exec(["true"])).code).toBe(0);
    await accepted.close();
  });

  it("reports an unreachable port as such", async () => {
    const server = createServer();
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    const closedPort = (server.address() as { port: number }).port;
    await new Promise((r) => server.close(r));
    const error = await connectSsh({
      url: `ssh://root@127.0.0.1:${closedPort}`,
      privateKey: key,
      knownHosts,
    }).catch((e) => e);
    expect(error.message).toBe(`build host 127.0.0.1:${closedPort} unreachable: ECONNREFUSED`);
    expectNoKey(error);
  });

  it("rejects in-flight commands when the connection drops, then reconnects", async () => {
    const proxy = await startProxy(port);
    try {
      const viaProxy = await connectSsh({
        url: `ssh://root@127.0.0.1:${proxy.port}`,
        privateKey: key,
        fingerprint: env!.PIKACI_TEST_HOST_KEY_FINGERPRINT,
      });
      const inflight = viaProxy.exec(["sleep", "30"]);
      await new Promise((r) => setTimeout(r, 300));
      proxy.dropAll();
      const error = await inflight.catch((e) => e);
      expect(error).toBeInstanceOf(InfrastructureError);
      expect(error.message).toMatch(/^ssh connection to build host 127\.0\.0\.1:\d+ lost/);
      const again = await viaProxy.exec(["echo", "back"]);
      expect(again.stdout.toString()).toBe("back\n");
      await viaProxy.close();
    } finally {
      await proxy.close();
    }
  });
});

/** A TCP relay to sshd whose connections the test can cut, like a network failure would. */
async function startProxy(
  targetPort: number,
): Promise<{ port: number; dropAll(): void; close(): Promise<void> }> {
  const sockets = new Set<Socket>();
  const server: Server = createServer((client) => {
    const upstream = tcpConnect(targetPort, "127.0.0.1");
    for (const socket of [client, upstream]) {
      sockets.add(socket);
      socket.on("close", () => sockets.delete(socket));
      socket.on("error", () => {});
    }
    client.pipe(upstream).pipe(client);
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  return {
    port: (server.address() as { port: number }).port,
    dropAll: () => {
      for (const socket of sockets) socket.destroy();
    },
    close: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise((r) => server.close(r));
    },
  };
}
