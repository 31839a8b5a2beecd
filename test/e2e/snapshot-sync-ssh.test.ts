import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildSnapshot, syncSnapshot, verifyRemoteSnapshot } from "../../src/snapshot/index.js";
import { connectSsh, type SshTransport } from "../../src/ssh/ssh-transport.js";
import { makeTree } from "../unit/snapshot/helpers.js";
import { requireHostEnvVars } from "./helpers/test-host.js";

/** Real sshd from test/host/setup.sh (.test-host/host.env); skipped with a note when it is absent. */
const env = requireHostEnvVars();

describe.skipIf(!env)("snapshot sync over the real sshd", () => {
  let transport: SshTransport;
  let work: string;
  let remote: string;

  beforeAll(async () => {
    transport = await connectSsh({
      url: `ssh://${env!.PIKACI_TEST_SSH_USER}@${env!.PIKACI_TEST_SSH_HOST}:${env!.PIKACI_TEST_SSH_PORT}`,
      privateKey: readFileSync(env!.PIKACI_TEST_SSH_KEY!),
      knownHosts: readFileSync(env!.PIKACI_TEST_KNOWN_HOSTS_FILE!, "utf8"),
    });
    work = mkdtempSync(join(tmpdir(), "pikaci-sync-ssh-"));
    // The test host is this machine, so a remote path under /tmp is a fresh "remote" work dir.
    remote = `/tmp/pikaci-sync-ssh-remote-${process.pid}`;
  });
  afterAll(async () => {
    await transport?.exec(["rm", "-rf", remote]);
    await transport?.close();
    rmSync(work, { recursive: true, force: true });
  });

  it("cold, unchanged (0 bytes) and one-file change (<= file + 64 KiB), verified", async () => {
    const files: Record<string, string | { content: string; exec?: boolean } | { symlink: string }> = {
      "run.sh": { content: "#!/bin/sh\n", exec: true },
      link: { symlink: "run.sh" },
      "grüße\nnew line": "unicode",
    };
    for (let i = 0; i < 500; i++) files[`src/d${i % 20}/f${i}.txt`] = `content ${i}\n`.repeat(50);
    const root = makeTree(files, join(work, "ws"));
    const snapshot = await buildSnapshot({ root });
    const cold = await syncSnapshot({ transport, remoteWorkDir: remote, snapshot, localRoot: root });
    expect(cold.published).toBe(true);
    expect(
      (await verifyRemoteSnapshot({ transport, remotePath: cold.remotePath, snapshot })).problems,
    ).toEqual([]);

    const warm = await syncSnapshot({ transport, remoteWorkDir: remote, snapshot, localRoot: root });
    expect(warm.stats).toMatchObject({ bytes_sent: 0, snapshot_reused: true });

    const content = "changed\n".repeat(2000);
    writeFileSync(join(root, "src/d3/f3.txt"), content);
    const next = await buildSnapshot({ root });
    const one = await syncSnapshot({ transport, remoteWorkDir: remote, snapshot: next, localRoot: root });
    expect(one.stats.objects_sent).toBe(1);
    expect(one.stats.bytes_sent).toBeLessThanOrEqual(content.length + 64 * 1024);
    const verified = await verifyRemoteSnapshot({ transport, remotePath: one.remotePath, snapshot: next });
    expect(verified.problems).toEqual([]);
    expect(verified.ok).toBe(true);
  });

  it("a one-file change from a fresh machine (empty cache dir) sends <= file + 64 KiB", async () => {
    const files: Record<string, string> = {};
    for (let i = 0; i < 2000; i++) files[`pkg${i % 40}/f${i}.txt`] = `file ${i}\n`.repeat(20);
    const root = makeTree(files, join(work, "fresh-ws"));
    const dir = `${remote}-fresh`;
    const cacheDir = (name: string) => mkdtempSync(join(work, `cache-${name}-`));
    try {
      const first = await syncSnapshot({
        transport,
        remoteWorkDir: dir,
        snapshot: await buildSnapshot({ root, cacheFile: null }),
        localRoot: root,
        cacheDir: cacheDir("x"),
      });
      expect(first.published).toBe(true);
      const content = "changed on another runner\n".repeat(1000);
      writeFileSync(join(root, "pkg7/f7.txt"), content);
      const next = await buildSnapshot({ root, cacheFile: null });
      const one = await syncSnapshot({
        transport,
        remoteWorkDir: dir,
        snapshot: next,
        localRoot: root,
        cacheDir: cacheDir("y"),
      });
      expect(one.baseSource).toBe("host");
      expect(one.stats.objects_sent).toBe(1);
      expect(one.stats.bytes_sent).toBeLessThanOrEqual(content.length + 64 * 1024);
      expect(one.stats.bytes_received).toBeGreaterThan(0);
      const verified = await verifyRemoteSnapshot({ transport, remotePath: one.remotePath, snapshot: next });
      expect(verified.problems).toEqual([]);
      expect(verified.ok).toBe(true);
    } finally {
      await transport.exec(["rm", "-rf", dir]);
    }
  });
});
