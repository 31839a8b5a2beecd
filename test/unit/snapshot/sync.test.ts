import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { mkdir, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { InfrastructureError, SnapshotChangedError } from "../../../src/errors/index.js";
import { buildSnapshot, syncSnapshot, verifyRemoteSnapshot } from "../../../src/snapshot/index.js";
import { LocalhostTransport } from "../../../src/transport/localhost.js";
import { makeTree, removeTree } from "./helpers.js";

const dirs: string[] = [];
afterEach(() => dirs.splice(0).forEach(removeTree));
const transport = new LocalhostTransport();

function fixture() {
  const files: Record<string, string | { content: string; exec?: boolean } | { symlink: string }> = {
    "bin/run.sh": { content: "#!/bin/sh\necho run\n", exec: true },
    "docs/link": { symlink: "../README.md" },
    "outside-link": { symlink: "/etc/passwd" },
    empty: "",
    "dup-a": "same",
    "dup-b": "same",
    "grüße/日本語 file with spaces\nand newline": "unicode",
    [`deep/${"long-directory-name/".repeat(8)}file.txt`]: "long path",
    "big.bin": "x".repeat(3 << 20),
    "tab\there/x": "a tab in a directory name",
  };
  for (let i = 0; i < 40; i++) files[`src/m${i}.ts`] = `export const v = ${i};\n`;
  const root = makeTree(files);
  const remote = mkdtempSync(join(tmpdir(), "pikaci-remote-"));
  dirs.push(root, remote);
  return { root, remote };
}

describe("syncSnapshot over LocalhostTransport", () => {
  it("cold sync, unchanged re-sync sends 0 bytes, one-file change sends about one file", async () => {
    const { root, remote } = fixture();
    const cold = await syncSnapshot({
      transport,
      remoteWorkDir: remote,
      snapshot: await buildSnapshot({ root }),
      localRoot: root,
    });
    expect(cold.published).toBe(true);
    expect(cold.stats.snapshot_reused).toBe(false);
    expect(cold.stats.bytes_sent).toBeGreaterThan(3 << 20);
    const snapshot = await buildSnapshot({ root });
    const verified = await verifyRemoteSnapshot({ transport, remotePath: cold.remotePath, snapshot });
    expect(verified.problems).toEqual([]);
    expect(verified.ok).toBe(true);

    const warm = await syncSnapshot({ transport, remoteWorkDir: remote, snapshot, localRoot: root });
    expect(warm.stats).toMatchObject({ bytes_sent: 0, objects_sent: 0, snapshot_reused: true });
    expect(warm.remotePath).toBe(cold.remotePath);

    const changed = "y".repeat(10_000);
    await writeFile(join(root, "src/m7.ts"), changed);
    const next = await buildSnapshot({ root });
    const one = await syncSnapshot({ transport, remoteWorkDir: remote, snapshot: next, localRoot: root });
    expect(one.published).toBe(true);
    expect(one.stats.objects_sent).toBe(1);
    expect(one.stats.bytes_sent).toBeLessThanOrEqual(changed.length + 64 * 1024);
    expect((await verifyRemoteSnapshot({ transport, remotePath: one.remotePath, snapshot: next })).ok).toBe(
      true,
    );
    // The old snapshot is untouched by the delta (hard-link copy, not in-place edit).
    expect((await verifyRemoteSnapshot({ transport, remotePath: cold.remotePath, snapshot })).ok).toBe(true);
  });

  it("a full sync reuses objects the store already has", async () => {
    const { root, remote } = fixture();
    await syncSnapshot({
      transport,
      remoteWorkDir: remote,
      snapshot: await buildSnapshot({ root }),
      localRoot: root,
    });
    writeFileSync(join(root, "added.txt"), "new");
    const next = await buildSnapshot({ root });
    // A fresh cache dir and no host-side base: the tree is assembled from scratch.
    const cacheDir = mkdtempSync(join(tmpdir(), "pikaci-cache-"));
    dirs.push(cacheDir);
    const full = await syncSnapshot({
      transport,
      remoteWorkDir: remote,
      snapshot: next,
      localRoot: root,
      cacheDir,
      baseKey: null,
    });
    expect(full.baseSource).toBeNull();
    expect(full.stats.objects_sent).toBe(1);
    expect(full.stats.objects_reused).toBeGreaterThan(40);
    expect((await verifyRemoteSnapshot({ transport, remotePath: full.remotePath, snapshot: next })).ok).toBe(
      true,
    );
  });

  it("from a fresh machine, diffs against the host's manifest and sends only the change", async () => {
    const { root, remote } = fixture();
    const freshCache = () => {
      const dir = mkdtempSync(join(tmpdir(), "pikaci-cache-"));
      dirs.push(dir);
      return dir;
    };
    const sync = async (cacheDir: string) =>
      syncSnapshot({
        transport,
        remoteWorkDir: remote,
        snapshot: await buildSnapshot({ root }),
        localRoot: root,
        cacheDir,
      });
    const first = await sync(freshCache());
    const manifest = join(remote, "snapshots", first.stats.snapshot_hash, "manifest.v1");
    expect(readFileSync(manifest, "utf8")).toContain(`${JSON.stringify("tab\there")}\td\n`);

    const changed = "z".repeat(12_345);
    await writeFile(join(root, "src/m3.ts"), changed);
    const second = await sync(freshCache());
    expect(second.baseSource).toBe("host");
    expect(second.stats.objects_sent).toBe(1);
    expect(second.stats.bytes_sent).toBeLessThanOrEqual(changed.length + 64 * 1024);
    expect(second.stats.bytes_received).toBeGreaterThan(0);
    const next = await buildSnapshot({ root });
    const verified = await verifyRemoteSnapshot({ transport, remotePath: second.remotePath, snapshot: next });
    expect(verified.problems).toEqual([]);
    expect(verified.ok).toBe(true);

    // The host composed the second manifest from the first plus the delta: a third fresh machine
    // can diff against it too, including a removal and a new directory.
    await rm(join(root, "dup-b"));
    await writeFile(join(root, "docs/new.md"), "new\n");
    const third = await sync(freshCache());
    expect(third.baseSource).toBe("host");
    expect(third.stats.bytes_sent).toBeLessThanOrEqual(64 * 1024);
    const last = await buildSnapshot({ root });
    expect((await verifyRemoteSnapshot({ transport, remotePath: third.remotePath, snapshot: last })).ok).toBe(
      true,
    );

    // Another lineage gets no base from this one.
    await writeFile(join(root, "docs/new.md"), "newer\n");
    const other = await syncSnapshot({
      transport,
      remoteWorkDir: remote,
      snapshot: await buildSnapshot({ root }),
      localRoot: root,
      cacheDir: freshCache(),
      baseKey: "another workspace",
    });
    expect(other.baseSource).toBeNull();
  });

  it("falls back to a full sync when the host's base manifest is corrupt or its tree is gone", async () => {
    const { root, remote } = fixture();
    const sync = async () => {
      const cacheDir = mkdtempSync(join(tmpdir(), "pikaci-cache-"));
      dirs.push(cacheDir);
      const snapshot = await buildSnapshot({ root });
      const result = await syncSnapshot({
        transport,
        remoteWorkDir: remote,
        snapshot,
        localRoot: root,
        cacheDir,
      });
      expect((await verifyRemoteSnapshot({ transport, remotePath: result.remotePath, snapshot })).ok).toBe(
        true,
      );
      return result;
    };
    const first = await sync();
    const manifest = join(remote, "snapshots", first.stats.snapshot_hash, "manifest.v1");
    const text = readFileSync(manifest, "utf8");
    // Same length, one digit changed: parses, but no longer hashes to the base.
    writeFileSync(
      manifest,
      text.replace(/\t644\t(\d)/, (_, d) => `\t644\t${(Number(d) + 1) % 10}`),
    );
    await writeFile(join(root, "src/m1.ts"), "one\n");
    const second = await sync();
    expect(second.baseSource).toBeNull();
    expect(second.published).toBe(true);

    // The lineage now points at the second snapshot; remove its tree as a gc would.
    await rm(join(remote, "snapshots", second.stats.snapshot_hash), { recursive: true, force: true });
    await writeFile(join(root, "src/m2.ts"), "two\n");
    const third = await sync();
    expect(third.baseSource).toBeNull();
  });

  it("fails hard, naming the fix, when the published metadata does not match", async () => {
    const { root, remote } = fixture();
    const snapshot = await buildSnapshot({ root });
    await mkdir(join(remote, "snapshots", snapshot.hash), { recursive: true });
    await writeFile(
      join(remote, "snapshots", snapshot.hash, "pikaci-snapshot.json"),
      '{"content_hash":"0000"}',
    );
    const error = await syncSnapshot({ transport, remoteWorkDir: remote, snapshot, localRoot: root }).catch(
      (e) => e,
    );
    expect(error).toBeInstanceOf(InfrastructureError);
    expect(error.hint).toContain(`remove ${remote}/snapshots/${snapshot.hash}`);
  });

  it("fails hard when a snapshot dir exists without metadata", async () => {
    const { root, remote } = fixture();
    const snapshot = await buildSnapshot({ root });
    await mkdir(join(remote, "snapshots", snapshot.hash, "tree"), { recursive: true });
    await expect(
      syncSnapshot({ transport, remoteWorkDir: remote, snapshot, localRoot: root }),
    ).rejects.toThrow(/has no pikaci-snapshot.json/);
  });

  it("refuses to upload a file that changed after hashing", async () => {
    const { root, remote } = fixture();
    const snapshot = await buildSnapshot({ root });
    await writeFile(join(root, "src/m1.ts"), "changed after hashing\n");
    await expect(
      syncSnapshot({ transport, remoteWorkDir: remote, snapshot, localRoot: root }),
    ).rejects.toThrow(/changed after the snapshot was hashed/);
    await expect(
      syncSnapshot({ transport, remoteWorkDir: remote, snapshot, localRoot: root }),
    ).rejects.toThrow(new SnapshotChangedError("src/m1.ts", snapshot.hash));
    await expect(
      syncSnapshot({ transport, remoteWorkDir: remote, snapshot, localRoot: root }),
    ).rejects.toBeInstanceOf(SnapshotChangedError);
  });
});
