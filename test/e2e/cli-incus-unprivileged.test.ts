import { cp, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import {
  createSandbox,
  destroySandbox,
  hostFlags,
  latestRun,
  pikaci,
  sandboxFor,
} from "./helpers/cli-incus.js";
import { describeE2E, REPO_ROOT } from "./helpers/test-host.js";

// Prints who the lane runs as, then fails unless that is not root, root's files are out of reach
// and the workspace is still readable.
const WHO_AM_I = [
  'echo "lane-uid=$(id -u) lane-user=$(id -un) home=$HOME"',
  'test "$(id -u)" -ne 0',
  "! touch /etc/pikaci-root-only 2>/dev/null",
  "test -r README.md",
].join(" && ");

/**
 * The unprivileged path through the CLI: lanes without `run_as_root` (the default) drop to the image's
 * `pikaci` user (uid 1000) on both test images. Busybox has no setpriv with --reuid, so the guest
 * runner drops with its `su`; Debian uses util-linux's setpriv. A `run_as_root: true` lane beside
 * them shows what the flag changes.
 */
describeE2E("pikaci run --host: lanes run unprivileged by default (real sshd + Incus)", (host) => {
  const sandbox = sandboxFor("unpriv");
  let base: string;
  let repo: string;
  let config: string;

  beforeAll(async () => {
    base = await mkdtemp(join(tmpdir(), "pikaci-e2e-unpriv-"));
    repo = join(base, "demo");
    await cp(join(REPO_ROOT, "examples/demo"), repo, { recursive: true });
    await rm(join(repo, ".pikaci"), { recursive: true, force: true });
    config = join(base, "unprivileged.yml");
    await writeFile(
      config,
      [
        "version: 1",
        "defaults:",
        "  timeout: 60s",
        "  infra_retries: 0",
        "lanes:",
        "  - id: busybox",
        `    image: ${host.image}`,
        `    command: ${JSON.stringify(WHO_AM_I)}`,
        "  - id: debian",
        `    image: ${host.imageDebian}`,
        `    command: ${JSON.stringify(WHO_AM_I)}`,
        "  - id: busybox-root",
        `    image: ${host.image}`,
        "    run_as_root: true",
        '    command: echo "lane-uid=$(id -u)"',
        "",
      ].join("\n"),
    );
    await createSandbox(host, sandbox);
  });
  afterAll(async () => {
    await destroySandbox(host, sandbox);
    await rm(base, { recursive: true, force: true });
  });

  it("runs busybox and Debian lanes as uid 1000, and a run_as_root lane as uid 0", async () => {
    const state = join(base, "state");
    const result = await pikaci(
      ["run", "--config", config, "--workspace", repo, ...hostFlags(host, sandbox), "--state-root", state],
      { cwd: repo },
    );
    expect(result.code, result.stdout + result.stderr).toBe(0);
    const run = (await latestRun(state))!;
    const guestLog = async (lane: string) => {
      const job = run.jobs.find((j) => j.lane_id === lane)!;
      expect(job, lane).toMatchObject({ status: "passed", exit_code: 0, executor: "incus" });
      return readFile(job.guest_log_path!, "utf8");
    };
    for (const lane of ["busybox", "debian"]) {
      expect(await guestLog(lane), lane).toContain("lane-uid=1000 lane-user=pikaci home=/home/pikaci");
    }
    expect(await guestLog("busybox-root")).toContain("lane-uid=0");
  });
});
