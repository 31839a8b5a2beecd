import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import { HostCheckReport } from "../../src/host-check/index.js";
import {
  createSandbox,
  destroySandbox,
  hostFlags,
  pikaci,
  sandboxFor,
  sshHost,
} from "./helpers/cli-incus.js";
import { describeE2E } from "./helpers/test-host.js";

/**
 * `pikaci host check` against the real test host: healthy as set up (its images hold the runner at
 * the contract path), and deliberately broken: an Incus project with its own (empty) image store and
 * a default profile whose root disk is on a `dir` pool, holding the busybox image but not another.
 */
describeE2E("pikaci host check (real sshd + Incus)", (host) => {
  const sandbox = sandboxFor("hostcheck");
  const broken = { ...sandboxFor("hostcheck-broken"), project: `pikaci-e2e-hcb-${process.pid.toString(36)}` };
  let cwd: string;
  let madePool: string | null = null;
  const sh = async (script: string, args: string[] = []) => {
    const result = await sshHost(host, script, args);
    if (result.code !== 0) throw new Error(`${script}: ${result.stderr}`);
    return result.stdout.toString().trim();
  };
  beforeAll(async () => {
    cwd = await mkdtemp(join(tmpdir(), "pikaci-e2e-hostcheck-"));
    await createSandbox(host, sandbox);
    let dirPool = await sh(`incus storage list -f csv | awk -F, '$2 == "dir" { print $1; exit }'`);
    if (dirPool === "") {
      madePool = `pikaci-e2e-dir-${process.pid.toString(36)}`;
      await sh('incus storage create "$1" dir >/dev/null', [madePool]);
      dirPool = madePool;
    }
    await sh(
      'incus project create "$1" -c features.images=true -c features.profiles=true >/dev/null && incus profile device add default root disk path=/ pool="$2" --project "$1" >/dev/null',
      [broken.project, dirPool],
    );
    // The project's own image store holds only the busybox image (2 MB).
    // (`incus image copy` within one server needs it listening on the network; export + import does not.)
    await sh(
      'd=$(mktemp -d) && incus image export "$2" "$d/img" >/dev/null && incus image import "$d/img" "$d/img.root" --project "$1" --alias "$2" >/dev/null; r=$?; rm -rf "$d"; exit $r',
      [broken.project, host.image],
    );
  });
  afterAll(async () => {
    await destroySandbox(host, sandbox);
    await sh(
      'for f in $(incus image list --project "$1" -f csv -c f 2>/dev/null); do incus image delete --project "$1" "$f"; done; true',
      [broken.project],
    );
    await destroySandbox(host, broken);
    if (madePool) await sh('incus storage delete "$1"', [madePool]);
    await rm(cwd, { recursive: true, force: true });
  });

  const check = async (sb: typeof sandbox, extra: string[]) => {
    const result = await pikaci(["host", "check", ...hostFlags(host, sb), "--image", host.image, ...extra], {
      cwd,
    });
    return { result, detail: `${result.stdout}${result.stderr}` };
  };

  it("reports a healthy host: Incus, the image's runner and contract version, work dir, shell, pool", async () => {
    const { result, detail } = await check(sandbox, ["--image", host.image, "--json"]);
    expect(result.code, detail).toBe(0);
    const report = HostCheckReport.parse(JSON.parse(result.stdout));
    expect(report.healthy).toBe(true);
    expect(report.facts.incus.server).toMatch(/^\d+\.\d+/);
    expect(report.facts.images).toEqual([
      {
        alias: host.image,
        exists: true,
        fingerprint: expect.stringMatching(/^[0-9a-f]{64}$/),
        runner: { present: true, contract_version: 1, error: null },
      },
    ]);
    expect(report.facts.work_dir).toMatchObject({ path: sandbox.remoteWorkDir, writable: true });
    expect(report.facts.work_dir.free_bytes).toBeGreaterThan(0);
    expect(report.facts.shell.samples_ms).toHaveLength(5);
    expect(report.findings.filter((f) => f.level === "problem")).toEqual([]);
    expect(report.findings.map((f) => f.check)).toEqual([
      "incus",
      "storage",
      "image",
      "work_dir",
      "shell",
      "pool",
    ]);
    // The probe instance is gone again.
    expect(await sh('incus list --project "$1" -f csv -c n', [sandbox.project])).toBe("");
  });

  it("fails a broken host (missing image, dir pool) and names the fix for each", async () => {
    const { result, detail } = await check(broken, ["--image", "pikaci-e2e-missing"]);
    expect(result.code, detail).toBe(1);
    const lines = result.stdout.split("\n");
    const at = (pattern: RegExp) => lines.findIndex((line) => pattern.test(line));
    const image = at(/^ {2}PROBLEM image {5}image pikaci-e2e-missing is missing in project /);
    const storage = at(/^ {2}WARN {4}storage {3}pool \S+ uses the `dir` driver.*3\.8–5\.5 s/);
    expect(
      [image, storage].every((i) => i > 0),
      detail,
    ).toBe(true);
    expect(lines[image + 1]).toMatch(/^ +fix: .*images\/build-debian\.sh --alias pikaci-e2e-missing/);
    expect(lines[storage + 1]).toMatch(/^ +fix: .*incus storage create/);
    expect(result.stdout).toMatch(/\n1 problem\(s\), \d warning\(s\)\n$/);
  });

  it("a dir pool alone is a warning: exit 0, and 1 with --strict", async () => {
    const plain = await check(broken, ["--image", host.image, "--json"]);
    expect(plain.result.code, plain.detail).toBe(0);
    const report = HostCheckReport.parse(JSON.parse(plain.result.stdout));
    expect(report.facts.storage.driver).toBe("dir");
    expect(report.findings.filter((f) => f.level === "problem")).toEqual([]);
    expect(report.findings.find((f) => f.check === "storage")).toMatchObject({ level: "warn" });
    const strict = await check(broken, ["--image", host.image, "--strict"]);
    expect(strict.result.code, strict.detail).toBe(1);
  });

  it("checks the machine it runs on with --host localhost (the test host's Incus is local)", async () => {
    const result = await pikaci(["host", "check", "--host", "localhost", "--image", host.image, "--json"], {
      cwd,
    });
    expect(result.code, `${result.stdout}${result.stderr}`).toBe(0);
    const report = HostCheckReport.parse(JSON.parse(result.stdout));
    expect(report.facts.host).toBe("localhost");
    expect(report.facts.images[0]?.runner).toEqual({ present: true, contract_version: 1, error: null });
  });
});
