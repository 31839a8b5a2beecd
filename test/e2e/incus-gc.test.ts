import { spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { gcCommand } from "../../src/cli/commands/gc.js";
import type { CliIO } from "../../src/cli/io.js";
import { instanceName } from "../../src/executor/incus/names.js";
import { createIncusClient } from "../../src/incus/client.js";
import { connectSsh, type SshTransport } from "../../src/ssh/ssh-transport.js";
import { requireHostEnvVars } from "./helpers/test-host.js";

/** `kill -9` of a process mid-job, then `pikaci gc`, leaves no pikaci instance behind. */
const ROOT = resolve(import.meta.dirname, "../..");
const env = requireHostEnvVars();

const REMOTE_WORK_DIR = "/var/tmp/pikaci-e2e-gc";

// The victim: starts one job whose lane sleeps, with a 1 s heartbeat, and says when the guest runs.
const CHILD = `
import { readFileSync, writeFileSync } from "node:fs";
import { createIncusExecutor } from "${ROOT}/src/executor/incus-executor.ts";
import { buildSnapshot } from "${ROOT}/src/snapshot/build.ts";
import { connectSsh } from "${ROOT}/src/ssh/ssh-transport.ts";
const [url, key, knownHosts, image, workspace, runId, remoteWorkDir] = process.argv.slice(2);
writeFileSync(workspace + "/a.txt", "a\\n");
const snapshot = await buildSnapshot({ root: workspace, cacheFile: null });
const transport = await connectSsh({ url, privateKey: readFileSync(key), knownHosts: readFileSync(knownHosts, "utf8") });
const executor = createIncusExecutor({ transport, remoteWorkDir, heartbeatIntervalMs: 1000 });
const execute = { command: "echo guest-running; sleep 300", run_as_root: process.env.PIKACI_E2E_RUN_AS_ROOT === "1", timeout_secs: 600, writable_workspace: false,
  image, instance_type: "container", env: {}, caches: [], mounts: [], concurrency_group: null, infra_retries: 0 };
await executor.runJob(
  { run_id: runId, lane_id: "lane", description: "victim", attempt: 1, execute,
    snapshot, job_dir: workspace },
  { phase: () => {}, log: (stream, text) => { if (stream === "guest" && text.includes("guest-running")) console.log("GUEST_RUNNING"); } },
  new AbortController().signal,
);
`;

describe.skipIf(!env)("pikaci gc after kill -9", () => {
  let transport: SshTransport;
  let dir: string;
  const url = `ssh://${env?.PIKACI_TEST_SSH_USER}@${env?.PIKACI_TEST_SSH_HOST}:${env?.PIKACI_TEST_SSH_PORT}`;
  const runId = `20260324T130000Z-${(process.pid & 0xffffff).toString(16).padStart(8, "0")}`;

  beforeAll(async () => {
    transport = await connectSsh({
      url,
      privateKey: readFileSync(env!.PIKACI_TEST_SSH_KEY!),
      knownHosts: readFileSync(env!.PIKACI_TEST_KNOWN_HOSTS_FILE!, "utf8"),
    });
    dir = await mkdtemp(join(tmpdir(), "pikaci-e2e-gc-"));
  });
  afterAll(async () => {
    if (!transport) return;
    await createIncusClient({ transport }).delete(instanceName(runId, "lane"));
    await transport.exec(["rm", "-rf", REMOTE_WORK_DIR]);
    await transport.close();
    await rm(dir, { recursive: true, force: true });
  });

  const gc = async (args: string[]) => {
    let stdout = "";
    const io: CliIO = {
      stdout: { write: (text: string) => (stdout += text) },
      stderr: { write: () => true },
      env: {},
      cwd: dir,
      isTTY: false,
    };
    const code = await gcCommand.run(
      [
        "--host",
        url,
        "--ssh-key",
        env!.PIKACI_TEST_SSH_KEY!,
        "--known-hosts",
        env!.PIKACI_TEST_KNOWN_HOSTS_FILE!,
        "--remote-work-dir",
        REMOTE_WORK_DIR,
        "--stale-after",
        "3s",
        ...args,
      ],
      io,
    );
    return { code, stdout };
  };

  it("keeps a live run's instance, and removes it once its process is killed", async () => {
    const name = instanceName(runId, "lane");
    await writeFile(join(dir, "victim.mts"), CHILD);
    const workspace = join(dir, "ws");
    await (await import("node:fs/promises")).mkdir(workspace);
    const child = spawn(
      process.execPath,
      [
        "--import",
        "tsx",
        join(dir, "victim.mts"),
        url,
        env!.PIKACI_TEST_SSH_KEY!,
        env!.PIKACI_TEST_KNOWN_HOSTS_FILE!,
        env!.PIKACI_TEST_IMAGE!,
        workspace,
        runId,
        REMOTE_WORK_DIR,
      ],
      { cwd: ROOT, stdio: ["ignore", "pipe", "inherit"] },
    );
    try {
      await new Promise<void>((resolveRunning, reject) => {
        const timer = setTimeout(
          () => reject(new Error("victim's guest did not start within 120 s")),
          120_000,
        );
        child.stdout.on("data", (chunk: Buffer) => {
          if (chunk.toString().includes("GUEST_RUNNING")) {
            clearTimeout(timer);
            resolveRunning();
          }
        });
        child.on("exit", (code) => reject(new Error(`victim exited early (${code})`)));
      });
    } catch (error) {
      child.kill("SIGKILL");
      throw error;
    }

    const live = await gc([]);
    expect(live.code).toBe(0);
    expect(live.stdout).toContain(`kept ${name}: run ${runId} is alive`);

    child.kill("SIGKILL");
    await new Promise((r) => child.once("exit", r));
    await new Promise((r) => setTimeout(r, 5_000)); // > --stale-after 3s

    const dry = await gc(["--dry-run"]);
    expect(dry.stdout).toContain(`would remove ${name}: run ${runId} is no longer alive`);
    const swept = await gc([]);
    expect(swept.stdout).toContain(`removed ${name}: run ${runId} is no longer alive`);
    const left = await createIncusClient({ transport }).list("pikaci-");
    expect(left.map((i) => i.name)).not.toContain(name);
  });
});
