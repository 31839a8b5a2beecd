import { readFileSync } from "node:fs";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import {
  createSandbox,
  destroySandbox,
  hostFlags,
  pikaci,
  runIds,
  sandboxFor,
  sshHost,
} from "./helpers/cli-incus.js";
import { describeE2E } from "./helpers/test-host.js";

/**
 * Keyed caches on the real test host: restored by key (and by a restore_keys prefix), never saved
 * by a failing lane, and two concurrent lanes with one key leave one intact cache.
 */
describeE2E("keyed caches (real sshd + Incus)", (host) => {
  const sandbox = sandboxFor("cache");
  let base: string;
  let repo: string;
  let state: string;
  const cache = (key: string, extra = "") =>
    `    run_as_root: true\n    caches:\n      - name: deps\n        path: /cache\n        key: "${key}"\n        restore_keys: ["deps-"]\n${extra}`;

  beforeAll(async () => {
    base = await mkdtemp(join(tmpdir(), "pikaci-e2e-cache-"));
    repo = join(base, "repo");
    state = join(base, "state");
    await mkdir(join(repo, ".github"), { recursive: true });
    await writeFile(join(repo, "lock.txt"), "v1\n");
    await createSandbox(host, sandbox);
  });
  afterAll(async () => {
    await destroySandbox(host, sandbox);
    await rm(base, { recursive: true, force: true });
  });

  async function run(
    name: string,
    lanes: string,
  ): Promise<{ code: number | null; guest: string; host: string }> {
    const file = join(repo, ".github", `${name}.yml`);
    await writeFile(
      file,
      `version: 1\ndefaults:\n  image: ${host.image}\n  infra_retries: 0\nlanes:\n${lanes}`,
    );
    const before = new Set(await runIds(state));
    const result = await pikaci(["run", "-c", file, ...hostFlags(host, sandbox), "--state-root", state], {
      cwd: repo,
    });
    // Run ids of one second sort by their random suffix: take the one this run added.
    const id = (await runIds(state)).find((runId) => !before.has(runId))!;
    const jobs = join(state, "runs", id, "jobs");
    const read = (lane: string, kind: string) => {
      try {
        return readFileSync(join(jobs, lane, `${kind}.log`), "utf8");
      } catch {
        return `(no ${kind}.log; pikaci said: ${result.stdout}${result.stderr})`;
      }
    };
    const lane = /id: (\S+)/.exec(lanes)![1]!;
    return { code: result.code, guest: read(lane, "guest"), host: read(lane, "host") };
  }

  const lane = (id: string, command: string, key = "deps-{{ hashFiles('lock.txt') }}") =>
    `  - id: ${id}\n    command: ${JSON.stringify(command)}\n${cache(key)}`;
  const show = 'echo "stamp=$(cat /cache/stamp 2>/dev/null || echo none)"';

  it("a passing lane saves; the next run restores by key, then by restore_keys prefix", async () => {
    const first = await run("a", lane("fill", `${show}; echo one > /cache/stamp`));
    expect(first.code, first.guest + first.host).toBe(0);
    expect(first.guest).toContain("stamp=none");
    expect(first.host).toMatch(/cache deps: saved key deps-[0-9a-f]{32}/);

    const second = await run("b", lane("read", show));
    expect(second.guest).toContain("stamp=one");
    expect(second.host).toMatch(/cache deps: key deps-[0-9a-f]{32}: restored deps-/);

    await writeFile(join(repo, "lock.txt"), "v2\n");
    const third = await run("c", lane("prefix", show));
    expect(third.guest).toContain("stamp=one");
    expect(third.host).toMatch(/restored deps-[0-9a-f]{32}/);
  });

  it("a failing lane does not save its cache", async () => {
    const failing = await run(
      "d",
      lane("fail", "echo bad > /cache/stamp; exit 1", "fail-{{ hashFiles('lock.txt') }}"),
    );
    expect(failing.code).toBe(1);
    expect(failing.host).toContain("cache deps: not saved (the lane did not pass)");
    const after = await run("e", lane("after", show, "fail-{{ hashFiles('lock.txt') }}"));
    // Nothing saved under fail-…, and restore_keys (deps-) brings the last passing lane's cache.
    expect(after.guest).toContain("stamp=one");
    expect(after.guest).not.toContain("stamp=bad");
  });

  it("two concurrent lanes with one key end with one intact cache", async () => {
    const writer = (id: string) =>
      lane(
        id,
        `i=0; while [ $i -lt 200 ]; do echo ${id} > /cache/f$i; i=$((i+1)); done; sleep 1`,
        "race-{{ hashFiles('lock.txt') }}",
      );
    const both = await run("f", `${writer("w1")}${writer("w2")}`);
    expect(both.code).toBe(0);
    const dir = `${sandbox.remoteWorkDir}/cache/deps`;
    const listed = await sshHost(
      host,
      'cd "$1" && for d in race-*; do [ -d "$d" ] && echo "$d $(ls "$d"/f* | wc -l) $(cat "$d"/f* | sort -u | tr "\\n" " ")"; done; ls -a | grep -c "^\\.save-" || true',
      [dir],
    );
    const lines = listed.stdout.toString().trim().split("\n");
    expect(lines).toHaveLength(2);
    // One saved key with all 200 files, all from the same lane; no leftover save directory.
    expect(lines[0]).toMatch(/^race-[0-9a-f]{32} 200 (w1|w2) $/);
    expect(lines[1]).toBe("0");
  });

  it("pikaci gc removes keyed caches unused for N days and keeps the others", async () => {
    const dir = `${sandbox.remoteWorkDir}/cache/deps`;
    const made = await sshHost(
      host,
      'mkdir -p "$1/old-key" && echo x > "$1/old-key/f" && touch -d "40 days ago" "$1/old-key.used"',
      [dir],
    );
    expect(made.code, made.stderr).toBe(0);
    const gc = await pikaci(["gc", ...hostFlags(host, sandbox), "--cache-unused-days", "30"], { cwd: repo });
    expect(gc.code, gc.stdout + gc.stderr).toBe(0);
    expect(gc.stdout).toContain(`removed ${dir}/old-key: cache unused for over 30 days`);
    const left = await sshHost(host, 'cd "$1" && ls -1', [dir]);
    const names = left.stdout.toString().trim().split("\n");
    expect(names).not.toContain("old-key");
    expect(names).not.toContain("old-key.used");
    expect(names.some((n) => /^deps-[0-9a-f]{32}$/.test(n))).toBe(true);
  });
});
