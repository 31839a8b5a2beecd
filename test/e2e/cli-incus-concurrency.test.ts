import { createHash, randomUUID } from "node:crypto";
import { type FSWatcher, watch } from "node:fs";
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import { connectTransport } from "../../src/executor/create.js";
import { buildSnapshot, verifyRemoteSnapshot } from "../../src/snapshot/index.js";
import {
  createSandbox,
  destroySandbox,
  hostFlags,
  loadRun,
  pikaci,
  pikaciInstances,
  runIds,
  sandboxFor,
  sshHost,
} from "./helpers/cli-incus.js";
import { describeE2E } from "./helpers/test-host.js";

const PROCESSES = 8;

/**
 * The "Concurrency" acceptance: 8 `pikaci run` processes started at once on the same,
 * never-before-synced snapshot all pass; the snapshot is published exactly once; and the published
 * tree matches the workspace byte for byte.
 *
 * Publishes are counted on the host with inotify on `<remote work dir>/snapshots`: a publish is the
 * one `mv -T .staging-<hash>-<id> <hash>` that succeeds, which is the only way a directory entry
 * named `<hash>` can appear there. (The test host is this machine, so the test can watch it.)
 */
describeE2E("8 concurrent pikaci run processes on one snapshot (real sshd + Incus)", (host) => {
  const sandbox = sandboxFor("concurrency");
  let base: string;
  let repo: string;
  let config: string;
  let watcher: FSWatcher | undefined;

  const files: Record<string, string> = {
    "README.md": `# concurrency fixture ${randomUUID()}\n`,
    "src/a.txt": "alpha\n",
    "src/b.txt": "beta\n".repeat(1000),
    "src/nested/c.sh": "#!/bin/sh\necho c\n",
  };

  beforeAll(async () => {
    base = await mkdtemp(join(tmpdir(), "pikaci-e2e-cli-conc-"));
    repo = join(base, "ws");
    for (const [path, text] of Object.entries(files)) {
      await mkdir(join(repo, path, ".."), { recursive: true });
      await writeFile(join(repo, path), text, { mode: path.endsWith(".sh") ? 0o755 : 0o644 });
    }
    config = join(base, "conc.yml");
    // run_as_root keeps this suite on the root path; the default unprivileged path is covered
    // on both images by cli-incus-unprivileged.test.ts.
    await writeFile(
      config,
      "version: 1\nlanes:\n  - id: ok\n    run_as_root: true\n    command: test -s README.md && sh src/nested/c.sh\n",
    );
    await createSandbox(host, sandbox);
    const made = await sshHost(host, 'mkdir -p -- "$1/snapshots"', [sandbox.remoteWorkDir]);
    expect(made.code, made.stderr).toBe(0);
  });
  afterAll(async () => {
    watcher?.close();
    await destroySandbox(host, sandbox);
    await rm(base, { recursive: true, force: true });
  });

  it("all pass, with exactly one publish and a verified tree", async () => {
    const snapshot = await buildSnapshot({ root: repo, cacheFile: null });
    const published: string[] = [];
    watcher = watch(join(sandbox.remoteWorkDir, "snapshots"), (_event, name) => {
      if (name === snapshot.hash) published.push(name);
    });
    const state = join(base, "state");
    const t0 = performance.now();
    const results = await Promise.all(
      Array.from({ length: PROCESSES }, () =>
        pikaci(
          [
            "run",
            "--config",
            config,
            "--workspace",
            repo,
            ...hostFlags(host, sandbox),
            "--image",
            host.image,
            "--state-root",
            state,
          ],
          { cwd: repo },
        ),
      ),
    );
    const seconds = (performance.now() - t0) / 1000;
    // Let inotify deliver the last events before counting.
    await new Promise((resolve) => setTimeout(resolve, 500));
    for (const result of results) expect(result.code, result.stdout + result.stderr).toBe(0);

    const ids = await runIds(state);
    expect(ids).toHaveLength(PROCESSES);
    const runs = await Promise.all(ids.map((id) => loadRun(state, id)));
    for (const run of runs) {
      expect(run.status).toBe("passed");
      expect(run.snapshot_hash).toBe(snapshot.hash);
      expect(run.jobs[0]!.sync?.snapshot_hash).toBe(snapshot.hash);
    }
    const uploaders = runs.filter((run) => run.jobs[0]!.sync?.snapshot_reused === false).length;
    console.log(
      `${PROCESSES} concurrent runs in ${seconds.toFixed(1)}s: ${published.length} publish(es), ${uploaders} run(s) uploaded, ${PROCESSES - uploaders} reused the published snapshot`,
    );
    expect(published).toEqual([snapshot.hash]);
    expect(uploaders).toBeGreaterThanOrEqual(1);

    // No half-written leftovers: staging dirs and temp uploads are gone, one snapshot dir exists.
    const listing = await sshHost(host, 'cd -- "$1" && ls -A snapshots tmp', [sandbox.remoteWorkDir]);
    expect(listing.code, listing.stderr).toBe(0);
    expect(listing.stdout.toString()).toBe(`snapshots:\n${snapshot.hash}\n\ntmp:\n`);

    // The published tree, re-hashed on the host by sha256sum, against the local files.
    const tree = `${sandbox.remoteWorkDir}/snapshots/${snapshot.hash}/tree`;
    const sums = await sshHost(host, 'cd -- "$1" && find . -type f -print0 | xargs -0 sha256sum', [tree]);
    expect(sums.code, sums.stderr).toBe(0);
    const remote = Object.fromEntries(
      sums.stdout
        .toString()
        .trim()
        .split("\n")
        .map((line) => [line.slice(66).replace(/^\.\//, ""), line.slice(0, 64)]),
    );
    const local: Record<string, string> = {};
    for (const path of Object.keys(files)) {
      local[path] = createHash("sha256")
        .update(await readFile(join(repo, path)))
        .digest("hex");
    }
    expect(remote).toEqual(local);
    const meta = await sshHost(host, 'cat -- "$1"', [
      `${sandbox.remoteWorkDir}/snapshots/${snapshot.hash}/pikaci-snapshot.json`,
    ]);
    expect(JSON.parse(meta.stdout.toString())).toMatchObject({ content_hash: snapshot.hash });

    // And by the snapshot module's own verifier (modes, exec bits, the whole-tree hash).
    const transport = await connectTransport({
      host: `ssh://${host.sshUser}@${host.sshHost}:${host.sshPort}`,
      sshKey: host.sshKey,
      knownHosts: host.knownHostsFile,
    });
    try {
      const verified = await verifyRemoteSnapshot({ transport, remotePath: tree, snapshot });
      expect(verified.problems).toEqual([]);
      expect(verified).toMatchObject({ ok: true, hash: snapshot.hash });
    } finally {
      await transport.close();
    }
    expect(await pikaciInstances(host, sandbox)).toEqual([]);
  }, 300_000);
});
