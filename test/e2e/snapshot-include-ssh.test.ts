import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildSnapshot, syncSnapshot, verifyRemoteSnapshot } from "../../src/snapshot/index.js";
import { connectSsh, type SshTransport } from "../../src/ssh/ssh-transport.js";
import { git, makeTree } from "../unit/snapshot/helpers.js";
import { requireHostEnvVars } from "./helpers/test-host.js";

/**
 * snapshot.include over the real sshd: a git repository whose ignored node_modules is included.
 * An unchanged node_modules sends 0 bytes; a one-package change sends that package's files plus at
 * most 64 KiB.
 */
const env = requireHostEnvVars();
const include = ["node_modules/**"];

describe.skipIf(!env)("snapshot.include over the real sshd", () => {
  let transport: SshTransport;
  let work: string;
  let remote: string;

  beforeAll(async () => {
    transport = await connectSsh({
      url: `ssh://${env!.PIKACI_TEST_SSH_USER}@${env!.PIKACI_TEST_SSH_HOST}:${env!.PIKACI_TEST_SSH_PORT}`,
      privateKey: readFileSync(env!.PIKACI_TEST_SSH_KEY!),
      knownHosts: readFileSync(env!.PIKACI_TEST_KNOWN_HOSTS_FILE!, "utf8"),
    });
    work = mkdtempSync(join(tmpdir(), "pikaci-include-ssh-"));
    remote = `/tmp/pikaci-include-ssh-remote-${process.pid}`;
  });
  afterAll(async () => {
    await transport?.exec(["rm", "-rf", remote]);
    await transport?.close();
    rmSync(work, { recursive: true, force: true });
  });

  it("unchanged node_modules: 0 bytes; one package changed: its files + <= 64 KiB", async () => {
    const files: Record<string, string | { symlink: string }> = {
      ".gitignore": "node_modules/\n",
      "src/index.js": "require('pkg7')\n",
    };
    // 60 packages of 25 files (~2.3 MB): the shape of a small node_modules.
    for (let p = 0; p < 60; p++) {
      for (let f = 0; f < 25; f++) files[`node_modules/pkg${p}/lib/f${f}.js`] = `// ${p}/${f}\n`.repeat(150);
      files[`node_modules/.bin/pkg${p}`] = { symlink: `../pkg${p}/lib/f0.js` };
    }
    const root = makeTree(files, join(work, "repo"));
    git(root, "init", "-q");
    git(root, "add", "-A");
    git(root, "commit", "-qm", "fixture");
    const cacheDir = join(work, "cache");

    const snapshot = await buildSnapshot({ root, include });
    expect(snapshot.files).toBe(60 * 25 + 2);
    const cold = await syncSnapshot({
      transport,
      remoteWorkDir: remote,
      snapshot,
      localRoot: root,
      cacheDir,
    });
    expect(cold.stats.bytes_sent).toBeGreaterThan(snapshot.bytes);

    const again = await buildSnapshot({ root, include });
    expect(again.hash).toBe(snapshot.hash);
    const warm = await syncSnapshot({
      transport,
      remoteWorkDir: remote,
      snapshot: again,
      localRoot: root,
      cacheDir,
    });
    expect(warm.stats).toMatchObject({ bytes_sent: 0, snapshot_reused: true });

    // "Upgrade" pkg7: every file rewritten, one added, one removed.
    let packageBytes = 0;
    for (let f = 0; f < 25; f++) {
      const path = `node_modules/pkg7/lib/f${f}.js`;
      if (f === 24) {
        rmSync(join(root, path));
        continue;
      }
      const content = `// pkg7 v2 ${f}\n`.repeat(150);
      writeFileSync(join(root, path), content);
      packageBytes += content.length;
    }
    const added = "// new in v2\n".repeat(100);
    writeFileSync(join(root, "node_modules/pkg7/lib/new.js"), added);
    packageBytes += added.length;
    const next = await buildSnapshot({ root, include });
    const one = await syncSnapshot({
      transport,
      remoteWorkDir: remote,
      snapshot: next,
      localRoot: root,
      cacheDir,
    });
    expect(one.stats.objects_sent).toBe(25);
    expect(one.stats.bytes_sent).toBeLessThanOrEqual(packageBytes + 64 * 1024);
    const verified = await verifyRemoteSnapshot({ transport, remotePath: one.remotePath, snapshot: next });
    expect(verified.problems).toEqual([]);
    console.log(
      `include sync: cold ${cold.stats.bytes_sent} B, unchanged ${warm.stats.bytes_sent} B, one package ${one.stats.bytes_sent} B (package files ${packageBytes} B)`,
    );
  });
});
