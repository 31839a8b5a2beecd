import { describe, expect, it } from "vitest";
import { assessHost, type Expectations, type HostFacts, isHealthy } from "../../../src/host-check/index.js";
import { contractVersion } from "../../../src/host-check/probe-runner.js";
import { renderHostCheck } from "../../../src/host-check/render.js";

const GIB = 1024 ** 3;
const expect_: Expectations = {
  runnerPath: "/run/current-system/sw/bin/pikaci-incus-run",
  contractVersion: 1,
  minFreeBytes: 1 * GIB,
  lowFreeBytes: 10 * GIB,
  shellStartupMs: 30,
  slowCommandMs: 250,
};
const runner = { present: true, contract_version: 1, error: null };

function healthy(): HostFacts {
  return {
    host: "ssh://ci@build:22",
    project: null,
    incus: {
      client: "6.0.4",
      server: "6.0.4",
      error: null,
      api: { socket: "/var/lib/incus/unix.socket", fallback: null },
    },
    storage: { pool: "pikaci", driver: "btrfs", error: null },
    images: [{ alias: "pikaci-debian", exists: true, fingerprint: "a".repeat(64), runner }],
    work_dir: { path: "/var/tmp/pikaci", exists: true, writable: true, free_bytes: 50 * GIB, error: null },
    shell: { samples_ms: [8, 9, 7], median_ms: 8, login_shell: "/bin/sh", startup_ms: 1.2 },
    pool: { members: [], error: null },
  };
}

const levels = (facts: HostFacts) => assessHost(facts, expect_).map((f) => `${f.check}:${f.level}`);
const only = (facts: HostFacts, check: string) => assessHost(facts, expect_).filter((f) => f.check === check);

describe("assessHost", () => {
  it("finds nothing wrong with a healthy host", () => {
    const findings = assessHost(healthy(), expect_);
    expect(findings.map((f) => f.level)).toEqual(["ok", "ok", "ok", "ok", "ok", "ok"]);
    expect(isHealthy(findings, true)).toBe(true);
    expect(renderHostCheck({ schema_version: 1, healthy: true, facts: healthy(), findings })).toMatch(
      /\nhealthy\n$/,
    );
  });

  it("says whether Incus is reached through its API socket, and warns with a fix when it falls back to the CLI", () => {
    expect(only(healthy(), "incus")[0]!.message).toMatch(/API on \/var\/lib\/incus\/unix.socket/);
    const facts = healthy();
    facts.incus.api = { socket: null, fallback: "open failure: administratively prohibited" };
    const [incus] = only(facts, "incus");
    expect(incus).toMatchObject({ level: "warn" });
    expect(incus!.message).toMatch(/administratively prohibited.*`incus` process/);
    expect(incus!.fix).toMatch(/AllowStreamLocalForwarding/);
  });

  it("warns on a dir pool with the measured cost, and only --strict fails on it", () => {
    const facts = { ...healthy(), storage: { pool: "default", driver: "dir", error: null } };
    const [storage] = only(facts, "storage");
    expect(storage).toMatchObject({ level: "warn" });
    expect(storage!.message).toMatch(/3\.8–5\.5 s .* 0\.9 s on btrfs/);
    expect(storage!.fix).toMatch(/incus storage create pikaci btrfs/);
    const findings = assessHost(facts, expect_);
    expect([isHealthy(findings, false), isHealthy(findings, true)]).toEqual([true, false]);
  });

  it("fails a missing image, a missing runner and a runner of another contract version, each with a fix", () => {
    const facts = healthy();
    facts.images = [
      { alias: "gone", exists: false, fingerprint: null, runner: null },
      {
        alias: "bare",
        exists: true,
        fingerprint: "b",
        runner: { present: false, contract_version: null, error: null },
      },
      {
        alias: "old",
        exists: true,
        fingerprint: "c",
        runner: { present: true, contract_version: 0, error: null },
      },
      {
        alias: "mute",
        exists: true,
        fingerprint: "d",
        runner: { present: true, contract_version: null, error: null },
      },
    ];
    const images = only(facts, "image");
    expect(images.map((f) => f.level)).toEqual(["problem", "problem", "problem", "problem"]);
    expect(images.map((f) => f.message)).toEqual([
      "image gone is missing",
      "image bare has no executable runner at /run/current-system/sw/bin/pikaci-incus-run",
      "image old: runner speaks version 0, this pikaci expects guest contract version 1",
      "image mute: runner speaks no valid result.json, this pikaci expects guest contract version 1",
    ]);
    expect(images.every((f) => f.fix !== null)).toBe(true);
    expect(images[0]!.fix).toMatch(/images\/build-debian\.sh --alias gone/);
  });

  it("judges the work dir by writability and free space", () => {
    const dir = (over: Partial<HostFacts["work_dir"]>) => ({
      ...healthy(),
      work_dir: { ...healthy().work_dir, ...over },
    });
    expect(only(dir({ writable: false }), "work_dir")[0]).toMatchObject({ level: "problem" });
    expect(only(dir({ free_bytes: GIB / 2 }), "work_dir")[0]).toMatchObject({ level: "problem" });
    expect(only(dir({ free_bytes: 5 * GIB }), "work_dir")[0]).toMatchObject({
      level: "warn",
      message: "remote work dir /var/tmp/pikaci: 5.0 GiB free",
    });
    expect(only(dir({ exists: false }), "work_dir")[0]!.message).toMatch(/will be created/);
  });

  it("warns on a slow login shell, or on a slow command where start-up cannot be timed", () => {
    const shell = (over: Partial<HostFacts["shell"]>) => ({
      ...healthy(),
      shell: { ...healthy().shell, ...over },
    });
    const slow = only(shell({ login_shell: "/bin/bash", startup_ms: 92 }), "shell")[0]!;
    expect(slow).toMatchObject({ level: "warn" });
    expect(slow.message).toMatch(/\/bin\/bash starts in 92\.0 ms/);
    expect(slow.fix).toMatch(/\/bin\/sh/);
    // A loaded network but a cheap shell: not the account's fault.
    expect(only(shell({ median_ms: 400 }), "shell")[0]).toMatchObject({ level: "ok" });
    expect(only(shell({ median_ms: 400, startup_ms: null }), "shell")[0]).toMatchObject({ level: "warn" });
    expect(only(shell({ median_ms: 100, startup_ms: null }), "shell")[0]).toMatchObject({ level: "ok" });
  });

  it("counts pool members per alias and warns on idle members of an outdated image", () => {
    const facts = healthy();
    const member = (name: string, fingerprint: string, claimed: boolean) => ({
      name,
      status: "Running",
      alias: "pikaci-debian",
      fingerprint,
      claimed,
    });
    facts.pool.members = [
      member("pikaci-pool-1", "a".repeat(64), false),
      member("pikaci-pool-2", "a".repeat(64), true),
    ];
    expect(only(facts, "pool").map((f) => f.message)).toEqual([
      "warm pool: 2 members (pikaci-debian: 1 idle, 1 claimed)",
    ]);
    facts.pool.members.push(member("pikaci-pool-3", "old", false), member("pikaci-pool-4", "old", true));
    const pool = only(facts, "pool");
    expect(pool[1]).toMatchObject({
      level: "warn",
      message: expect.stringMatching(/1 idle pool member.*pikaci-pool-3$/),
    });
  });

  it("stops at Incus when it does not answer, still checking the work dir and shell", () => {
    const facts = { ...healthy(), incus: { client: "6.0.4", server: null, error: "cannot connect" } };
    expect(levels(facts)).toEqual(["incus:problem", "work_dir:ok", "shell:ok"]);
  });
});

describe("contractVersion", () => {
  it("reads schema_version from the runner's result.json", () => {
    expect(contractVersion('{"schema_version":1,"status":"passed","exit_code":0}')).toBe(1);
    expect(contractVersion('{"status":"passed"}')).toBeNull();
    expect(contractVersion("")).toBeNull();
  });
});
