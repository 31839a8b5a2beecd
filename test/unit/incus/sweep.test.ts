import { mkdir, mkdtemp, readdir, rm, utimes, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { InfrastructureError } from "../../../src/errors/index.js";
import { sweepUnusedCaches } from "../../../src/executor/incus/gc-caches.js";
import { runSweep } from "../../../src/executor/incus/sweep.js";
import { LocalhostTransport } from "../../../src/transport/localhost.js";

const transport = new LocalhostTransport();
let work: string;
beforeEach(async () => {
  work = await mkdtemp(path.join(tmpdir(), "pikaci-sweep-"));
});
afterEach(async () => {
  await rm(work, { recursive: true, force: true });
});

describe("gc sweeps on this machine", () => {
  it("sweepUnusedCaches lists a stale keyed cache on a dry run and removes it otherwise", async () => {
    const key = path.join(work, "cache", "deps", "k1");
    await mkdir(key, { recursive: true });
    await writeFile(path.join(key, "f"), "x");
    const stamp = `${key}.used`;
    await writeFile(stamp, "");
    const old = new Date(Date.now() - 40 * 86_400_000);
    await utimes(stamp, old, old);
    await mkdir(path.join(work, "cache", "fresh", "k2"), { recursive: true });
    await writeFile(path.join(work, "cache", "fresh", "k2.used"), "");

    const params = { transport, remoteWorkDir: work, days: 30 };
    expect(await sweepUnusedCaches({ ...params, dryRun: true })).toEqual([key]);
    expect(await readdir(path.join(work, "cache", "deps"))).toEqual(["k1", "k1.used"]);
    expect(await sweepUnusedCaches({ ...params, dryRun: false })).toEqual([key]);
    expect(await readdir(path.join(work, "cache", "deps"))).toEqual([]);
    expect(await readdir(path.join(work, "cache", "fresh"))).toEqual(["k2", "k2.used"]);
  });

  it("runSweep passes name, normalised work dir, dry flag and argument, and names a failure", async () => {
    const script = 'printf "%s\\n" "$0" "$1" "$2" "$3"';
    const args = { transport, script, name: "pikaci-x", workDir: "/a/./b/", arg: "7", what: "sweep x" };
    expect(await runSweep({ ...args, dryRun: true })).toEqual(["pikaci-x", "/a/b/", "1", "7"]);
    const failing = runSweep({ ...args, script: "echo nope >&2; exit 3", dryRun: false });
    await expect(failing).rejects.toThrow(InfrastructureError);
    await expect(failing).rejects.toThrow("cannot sweep x on localhost: nope");
  });
});
