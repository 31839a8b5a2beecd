import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import {
  createSandbox,
  destroySandbox,
  hostFlags,
  loadRun,
  pikaci,
  runIds,
  sandboxFor,
} from "./helpers/cli-incus.js";
import { describeE2E, REPO_ROOT } from "./helpers/test-host.js";
import { fetchSuite, parseCounts, prepareWorkspace, runPlain } from "./helpers/third-party-suite.js";

/**
 * Issue 10: a real project's own test suite, run as a lane on the Debian image, must count the same
 * passes and failures as the same command under a plain `incus exec` in the same image. (With the
 * old runner a shell suite lost its Ctrl-C tests: the lane ignored SIGINT.)
 */
describeE2E("a third-party test suite: lane vs plain incus exec (Debian image)", (host) => {
  const sandbox = sandboxFor("suite");
  let base = "";
  let workspace = "";
  beforeAll(async () => {
    base = await mkdtemp(join(tmpdir(), "pikaci-e2e-suite-"));
    workspace = join(base, "repo");
    await prepareWorkspace({
      dir: workspace,
      suiteDir: await fetchSuite(REPO_ROOT),
      image: host.imageDebian,
    });
    await createSandbox(host, sandbox);
  }, 180_000);
  afterAll(async () => {
    await destroySandbox(host, sandbox);
    await rm(base, { recursive: true, force: true });
  });

  it("counts the same passes and failures both ways", async () => {
    const state = join(base, "state");
    const lane = await pikaci(["run", ...hostFlags(host, sandbox), "--state-root", state], {
      cwd: workspace,
    });
    const [id] = await runIds(state);
    expect(id, lane.stdout + lane.stderr).toBeDefined();
    const run = await loadRun(state, id!);
    const job = run.jobs[0]!;
    const laneCounts = parseCounts(await readFile(job.guest_log_path!, "utf8"));

    const plain = await runPlain({
      name: `pikaci-e2e-suite-plain-${process.pid}`,
      image: host.imageDebian,
      workspace,
      project: sandbox.project,
    });
    const plainCounts = parseCounts(plain.output);

    expect(plainCounts, plain.output).not.toBeNull();
    expect(plainCounts!.passed).toBeGreaterThanOrEqual(20);
    expect(laneCounts, await readFile(job.guest_log_path!, "utf8")).toEqual(plainCounts);
    // Same verdict too: the lane fails exactly when the plain run does.
    expect(job.exit_code).toBe(plain.code);
  }, 240_000);
});
