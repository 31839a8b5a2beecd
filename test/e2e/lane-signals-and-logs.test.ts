import { mkdir, mkdtemp, readFile, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { remoteJobLayout } from "../../src/executor/incus/paths.js";
import type { JobRecord, RunRecord } from "../../src/schema/index.js";
import {
  createSandbox,
  destroySandbox,
  hostFlags,
  loadRun,
  pikaci,
  runIds,
  sandboxFor,
  sshHost,
} from "./helpers/cli-incus.js";
import { describeE2E } from "./helpers/test-host.js";

/**
 * Issue 10, defects 6 and 7, through the real CLI on both executors and both test images:
 * - a lane starts with default signal dispositions (SigIgn all zeros) and dies of a SIGINT it sends
 *   itself (a runner that starts it as an `&` job of sh would make it ignore SIGINT and SIGQUIT);
 * - a lane printing more than its log_limit leaves a stored log within the cap, head and tail kept,
 *   the cut marked in the log, in run.json and in the CLI summary.
 */
const LOG_LIMIT = 65_536;
// `seq 1 100000` prints 588,895 bytes: far past the cap, and every line says where it came from.
const SEQ_BYTES = 588_895;

const LANES = {
  // What a process the lane shell starts sees. Not the command's last word: busybox ash ignores
  // SIGQUIT itself and, when it execs a `-c` string's last command in place, does not restore it
  // (a plain `incus exec … sh -c` shows the same), so a test runner is measured, not that quirk.
  sigign: "grep -E '^Sig(Ign|Cgt):' /proc/self/status\necho sigign-done",
  "self-int": "kill -INT $$\necho survived-sigint",
  "big-output": "seq 1 100000",
};

function config(images: Array<{ key: string; image: string; root: boolean }>): string {
  const lanes = images.flatMap(({ key, image, root }) =>
    Object.entries(LANES).map(
      ([id, command]) =>
        `  - id: ${id}-${key}\n    image: ${image}\n    run_as_root: ${root}\n    command: ${JSON.stringify(command)}\n    log_limit: 64KiB\n    infra_retries: 0\n    timeout: 120`,
    ),
  );
  return `version: 1\nlanes:\n${lanes.join("\n")}\n`;
}

/** A lane that printed nothing has no guest log: that reads as empty. */
async function guestLog(job: JobRecord): Promise<Buffer> {
  return readFile(job.guest_log_path!).catch((error: NodeJS.ErrnoException) => {
    if (error.code === "ENOENT") return Buffer.alloc(0);
    throw error;
  });
}

async function expectLanes(run: RunRecord, key: string, stdout: string): Promise<void> {
  const byId = new Map(run.jobs.map((job) => [job.lane_id, job]));
  const sigign = byId.get(`sigign-${key}`)!;
  expect(sigign.status, (await guestLog(sigign)).toString()).toBe("passed");
  expect((await guestLog(sigign)).toString()).toMatch(/^SigIgn:\s+0000000000000000$/m);

  const selfInt = byId.get(`self-int-${key}`)!;
  expect(selfInt).toMatchObject({ status: "failed", failure_kind: "test_failure", exit_code: 130 });
  expect((await guestLog(selfInt)).toString()).not.toContain("survived-sigint");

  const big = byId.get(`big-output-${key}`)!;
  expect(big.status).toBe("passed");
  const stored = await guestLog(big);
  expect(stored.length).toBeLessThanOrEqual(LOG_LIMIT);
  expect(stored.toString().startsWith("1\n2\n3\n")).toBe(true);
  expect(stored.toString().endsWith("99999\n100000\n")).toBe(true);
  expect(big.log_truncation).toMatchObject({ limit_bytes: LOG_LIMIT, total_bytes: SEQ_BYTES });
  const t = big.log_truncation!;
  expect(t.head_bytes + t.tail_bytes).toBeGreaterThan(LOG_LIMIT / 2);
  expect(stored.toString()).toContain(
    `[pikaci: log truncated: kept first ${t.head_bytes} and last ${t.tail_bytes} of ${SEQ_BYTES} bytes`,
  );
  expect(stdout).toContain(`big-output-${key}: Log truncated: kept first`);
}

describeE2E("lane signal dispositions and log caps (CLI, both executors)", (host) => {
  const sandbox = sandboxFor("signals");
  let base = "";
  beforeAll(async () => {
    base = await mkdtemp(join(tmpdir(), "pikaci-e2e-signals-"));
    await createSandbox(host, sandbox);
  });
  afterAll(async () => {
    await destroySandbox(host, sandbox);
    await rm(base, { recursive: true, force: true });
  });

  async function runIn(name: string, text: string, flags: string[]) {
    const repo = join(base, name);
    await mkdir(join(repo, ".github"), { recursive: true });
    await writeFile(join(repo, ".github/pikaci.yml"), text);
    const state = join(base, `${name}-state`);
    const result = await pikaci(["run", ...flags, "--state-root", state, "--concurrency", "6"], {
      cwd: repo,
    });
    const [id] = await runIds(state);
    expect(id, result.stdout + result.stderr).toBeDefined();
    return { result, run: await loadRun(state, id!) };
  }

  describe("incus executor", () => {
    it("busybox and Debian lanes: SigIgn 0, SIGINT kills, log capped head+tail", async () => {
      const images = [
        // One lane per privilege path: busybox as root, Debian dropped to the lane user (setpriv).
        { key: "busybox", image: host.image, root: true },
        { key: "debian", image: host.imageDebian, root: false },
      ];
      const { result, run } = await runIn("incus", config(images), hostFlags(host, sandbox));
      expect(result.code, result.stdout + result.stderr).toBe(1);
      for (const { key } of images) await expectLanes(run, key, result.stdout);

      // The runner's own guest.log on the build host keeps the first log_limit bytes only.
      for (const { key } of images) {
        const layout = remoteJobLayout(sandbox.remoteWorkDir, run.run_id, `big-output-${key}`);
        const size = await sshHost(host, 'wc -c < "$1"', [`${layout.artifacts}/guest.log`]);
        expect(Number(size.stdout.toString().trim()), size.stderr).toBe(LOG_LIMIT);
      }
    }, 300_000);
  });

  describe("local executor", () => {
    it("SigIgn 0, SIGINT kills, log capped head+tail", async () => {
      const { result, run } = await runIn(
        "local",
        config([{ key: "local", image: host.imageDebian, root: false }]),
        [],
      );
      expect(result.code, result.stdout + result.stderr).toBe(1);
      await expectLanes(run, "local", result.stdout);
      // The ring file beside the log is gone once the lane ended.
      const big = run.jobs.find((j) => j.lane_id === "big-output-local")!;
      await expect(stat(`${big.guest_log_path}.tail`)).rejects.toThrow();
    }, 120_000);
  });
});
