import { randomUUID } from "node:crypto";
import { readFileSync } from "node:fs";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { createServer, type Socket, connect as tcpConnect } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { describeError, SnapshotChangedError } from "../../src/errors/index.js";
import type { Executor, JobEvents, JobOutcome, JobSpec } from "../../src/executor/executor.js";
import { instanceName } from "../../src/executor/incus/names.js";
import { createIncusExecutor } from "../../src/executor/incus-executor.js";
import { createIncusClient } from "../../src/incus/client.js";
import type { ExecuteSpec } from "../../src/schema/index.js";
import { buildSnapshot } from "../../src/snapshot/build.js";
import type { Snapshot } from "../../src/snapshot/entries.js";
import { connectSsh, type SshTransport } from "../../src/ssh/ssh-transport.js";
import type { Transport } from "../../src/transport/transport.js";
import { hostileCommand } from "../unit/ssh/hostile-command.js";
import { requireHostEnvVars } from "./helpers/test-host.js";

/** The Incus executor end to end over the real sshd + Incus of test/host/setup.sh. */
const env = requireHostEnvVars();

const REMOTE_WORK_DIR = "/var/tmp/pikaci-e2e-executor";
let runCounter = 0;
const newRunId = () =>
  `20260324T120000Z-${(((process.pid & 0xffff) << 12) + runCounter++).toString(16).padStart(8, "0")}`;

interface Recorded {
  outcome: JobOutcome;
  host: string;
  guest: string;
  phases: string[];
}

describe.skipIf(!env)("Incus executor over ssh2 (real sshd + Incus)", () => {
  let transport: SshTransport;
  let executor: Executor;
  let workspace: string;
  let snapshot: Snapshot;
  const runIds: string[] = [];

  const spec = (overrides: Partial<ExecuteSpec>): ExecuteSpec => ({
    command: "true",
    // Only for a fixture image that cannot drop privileges; the test host's images can.
    run_as_root: process.env.PIKACI_E2E_RUN_AS_ROOT === "1",
    timeout_secs: 60,
    writable_workspace: false,
    image: env!.PIKACI_TEST_IMAGE!,
    instance_type: "container",
    env: {},
    caches: [],
    mounts: [],
    concurrency_group: null,
    infra_retries: 0,
    ...overrides,
  });

  async function runJob(
    execute: ExecuteSpec,
    options: {
      executor?: Executor;
      signal?: AbortSignal;
      onGuest?: (text: string) => void;
      snapshot?: Snapshot;
    } = {},
  ): Promise<Recorded & { runId: string }> {
    const runId = newRunId();
    runIds.push(runId);
    const job: JobSpec = {
      run_id: runId,
      lane_id: "lane",
      description: "e2e",
      attempt: 1,
      execute,
      snapshot: options.snapshot ?? snapshot,
      job_dir: workspace,
    };
    let host = "";
    let guest = "";
    const phases: string[] = [];
    const events: JobEvents = {
      phase: (phase, state) => phases.push(`${phase}:${state}`),
      log: (stream, text) => {
        if (stream === "host") host += text;
        else {
          guest += text;
          options.onGuest?.(text);
        }
      },
    };
    const used = options.executor ?? executor;
    const outcome = await used.runJob(job, events, options.signal ?? new AbortController().signal);
    // The delete runs after the verdict; the tests below check it happened.
    await used.drain?.();
    return { outcome, host, guest, phases, runId };
  }

  const instanceExists = async (runId: string) => {
    const list = await createIncusClient({ transport }).list("pikaci-");
    return list.some((instance) => instance.name === instanceName(runId, "lane"));
  };

  beforeAll(async () => {
    transport = await connectSsh({
      url: `ssh://${env!.PIKACI_TEST_SSH_USER}@${env!.PIKACI_TEST_SSH_HOST}:${env!.PIKACI_TEST_SSH_PORT}`,
      privateKey: readFileSync(env!.PIKACI_TEST_SSH_KEY!),
      knownHosts: readFileSync(env!.PIKACI_TEST_KNOWN_HOSTS_FILE!, "utf8"),
    });
    executor = createIncusExecutor({ transport, remoteWorkDir: REMOTE_WORK_DIR, deadlineGraceSecs: 5 });
    workspace = await mkdtemp(join(tmpdir(), "pikaci-e2e-executor-"));
    await writeFile(join(workspace, "hello.txt"), "hello from the snapshot\n");
    await writeFile(join(workspace, "run.sh"), "#!/bin/sh\necho ran\n", { mode: 0o755 });
    snapshot = await buildSnapshot({ root: workspace, cacheFile: null });
  });

  afterAll(async () => {
    if (!transport) return;
    const incus = createIncusClient({ transport });
    const mine = new Set(runIds.map((runId) => instanceName(runId, "lane")));
    for (const instance of await incus.list("pikaci-")) {
      if (mine.has(instance.name)) await incus.delete(instance.name);
    }
    await transport.exec(["rm", "-rf", REMOTE_WORK_DIR]);
    await transport.close();
    await rm(workspace, { recursive: true, force: true });
  });

  it("passes a lane that reads the snapshot as the unprivileged user, with every phase timed", async () => {
    const { outcome, guest, host, phases, runId } = await runJob(
      spec({
        command:
          'cat hello.txt && ./run.sh && id -u && if touch hello.txt 2>/dev/null; then exit 9; fi && echo "$PIKACI_LANE_ID"',
      }),
    );
    expect(outcome).toMatchObject({ status: "passed", failure_kind: null, exit_code: 0, message: null });
    const uid = process.env.PIKACI_E2E_RUN_AS_ROOT === "1" ? "0" : "1000";
    expect(guest).toContain(`hello from the snapshot\nran\n${uid}\nlane\n`);
    expect(host).toContain(`as instance ${instanceName(runId, "lane")}`);
    expect(outcome.phases.map((p) => [p.phase, p.status])).toEqual([
      ["prepare_directories", "ok"],
      ["sync_snapshot", "ok"],
      ["prepare_runtime", "ok"],
      ["launch_guest", "ok"],
      ["wait_for_completion", "ok"],
      ["collect_artifacts", "ok"],
    ]);
    expect(phases[0]).toBe("prepare_directories:started");
    expect(outcome.sync?.snapshot_hash).toBe(snapshot.hash);
    expect(outcome.instance_name).toBe(instanceName(runId, "lane"));
    expect(await instanceExists(runId)).toBe(false);
  });

  it("records a non-zero exit as a test_failure with its exit code", async () => {
    const { outcome, guest } = await runJob(spec({ command: "echo about to fail; exit 3" }));
    expect(outcome).toMatchObject({
      status: "failed",
      failure_kind: "test_failure",
      exit_code: 3,
      message: "command exited 3",
    });
    expect(guest).toContain("about to fail");
  });

  it("records a lane that outlives its timeout as a timeout", async () => {
    const t0 = Date.now();
    const { outcome, runId } = await runJob(spec({ command: "echo started; sleep 60", timeout_secs: 2 }));
    expect(outcome).toMatchObject({ status: "failed", failure_kind: "timeout", exit_code: null });
    expect(outcome.message).toMatch(/timed out after 2s/);
    expect(Date.now() - t0).toBeLessThan(30_000);
    expect(await instanceExists(runId)).toBe(false);
  });

  it("delivers a hostile 8 KB command to the guest byte for byte", async () => {
    // The command's first line copies its own text (from the runner's env) to the artifacts dir.
    const prefix = `printf '%s' "$PIKACI_INCUS_GUEST_COMMAND" > /artifacts/command.txt\n`;
    const command = prefix + hostileCommand(8192 - prefix.length);
    expect(command.length).toBe(8192);
    const { outcome, runId } = await runJob(spec({ command }));
    expect(outcome).toMatchObject({ status: "passed", message: null });
    const artifacts = `${REMOTE_WORK_DIR}/runs/${runId}/jobs/lane/artifacts/command.txt`;
    const arrived = await transport.exec(["cat", artifacts]);
    expect(arrived.stdout.equals(Buffer.from(command, "utf8"))).toBe(true);
  });

  it("gives a writable_workspace lane its own copy and leaves the snapshot untouched", async () => {
    const first = await runJob(
      spec({
        command: "echo changed > hello.txt && touch new && cat hello.txt && pwd",
        writable_workspace: true,
      }),
    );
    expect(first.outcome).toMatchObject({ status: "passed", message: null });
    expect(first.host).toContain("writable workspace at /workspace/rw (copy)");
    expect(first.guest).toContain("changed\n/workspace/rw\n");
    const second = await runJob(spec({ command: "cat hello.txt && test ! -e new" }));
    expect(second.outcome.status).toBe("passed");
    expect(second.guest).toContain("hello from the snapshot\n");
  });

  it("mounts a per-lane cache read-write that survives between jobs", async () => {
    const caches = [{ name: "e2e-cache", path: "/cache" }];
    const write = await runJob(spec({ command: "echo kept > /cache/value", caches }));
    expect(write.outcome.status).toBe("passed");
    const read = await runJob(spec({ command: "cat /cache/value", caches }));
    expect(read.guest).toContain("kept\n");
  });

  it("ends as cancelled and removes the instance when aborted mid-job", async () => {
    const controller = new AbortController();
    const { outcome, runId } = await runJob(spec({ command: "echo running; sleep 60" }), {
      signal: controller.signal,
      onGuest: (text) => {
        if (text.includes("running")) controller.abort();
      },
    });
    expect(outcome).toMatchObject({ status: "cancelled", failure_kind: null });
    expect(await instanceExists(runId)).toBe(false);
  });

  it("fails a file edited after hashing with the same SnapshotChangedError as the local executor", async () => {
    const root = await mkdtemp(join(tmpdir(), "pikaci-e2e-changed-"));
    try {
      // Unique content: the host cannot hold its object yet, so the sync uploads (and re-hashes) it.
      await writeFile(join(root, "data.txt"), `hashed ${randomUUID()}\n`);
      const hashed = await buildSnapshot({ root, cacheFile: null });
      await writeFile(join(root, "data.txt"), "edited after hashing\n");
      const { outcome, phases, runId } = await runJob(spec({ command: "cat data.txt" }), {
        snapshot: hashed,
      });
      expect(outcome).toMatchObject({ status: "failed", failure_kind: "infrastructure" });
      expect(outcome.message).toBe(describeError(new SnapshotChangedError("data.txt", hashed.hash)));
      expect(phases).toContain("sync_snapshot:failed");
      expect(phases).not.toContain("launch_guest:started");
      expect(await instanceExists(runId)).toBe(false);
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  });

  it("ends as infrastructure with a clear message when the connection drops mid-job", async () => {
    const sockets = new Set<Socket>();
    const proxy = createServer((client) => {
      const upstream = tcpConnect(Number(env!.PIKACI_TEST_SSH_PORT), "127.0.0.1");
      for (const socket of [client, upstream]) {
        sockets.add(socket);
        socket.on("error", () => {});
      }
      client.pipe(upstream).pipe(client);
    });
    await new Promise<void>((r) => proxy.listen(0, "127.0.0.1", r));
    const proxied = await connectSsh({
      url: `ssh://root@127.0.0.1:${(proxy.address() as { port: number }).port}`,
      privateKey: readFileSync(env!.PIKACI_TEST_SSH_KEY!),
      fingerprint: env!.PIKACI_TEST_HOST_KEY_FINGERPRINT,
    });
    try {
      const dropping = createIncusExecutor({ transport: proxied, remoteWorkDir: REMOTE_WORK_DIR });
      const { outcome, runId } = await runJob(spec({ command: "echo running; sleep 60" }), {
        executor: dropping,
        onGuest: (text) => {
          if (text.includes("running")) for (const socket of sockets) socket.destroy();
        },
      });
      expect(outcome).toMatchObject({ status: "failed", failure_kind: "infrastructure" });
      expect(outcome.message).toMatch(/ssh connection to build host 127\.0\.0\.1:\d+ lost/);
      // Cleanup reconnected through the (still listening) proxy and removed the instance.
      expect(await instanceExists(runId)).toBe(false);
    } finally {
      await proxied.close();
      await new Promise((r) => proxy.close(r));
    }
  });

  it("returns the verdict before the instance's delete, which drain() then awaits", async () => {
    // The real transport, with `incus delete` held at a gate: the outcome must arrive while the
    // delete cannot have finished. Before the change the outcome waited for the delete (deadlock).
    const order: string[] = [];
    let open!: () => void;
    const gate = new Promise<void>((resolve) => {
      open = resolve;
    });
    const gated: Transport = {
      description: transport.description,
      close: async () => {},
      exec: async (argv, options) => {
        if (argv[0] !== "incus" || argv[1] !== "delete") return transport.exec(argv, options);
        order.push("delete started");
        await gate;
        const result = await transport.exec(argv, options);
        order.push("delete finished");
        return result;
      },
    };
    const gatedExecutor = createIncusExecutor({ transport: gated, remoteWorkDir: REMOTE_WORK_DIR });
    const runId = newRunId();
    runIds.push(runId);
    const outcome = await gatedExecutor.runJob(
      {
        run_id: runId,
        lane_id: "lane",
        description: "e2e",
        attempt: 1,
        execute: spec({ command: "echo hi" }),
        snapshot,
        job_dir: workspace,
      },
      { phase: () => {}, log: () => {} },
      new AbortController().signal,
    );
    order.push(`verdict ${outcome.status}`);
    expect(await instanceExists(runId)).toBe(true);
    let drained = false;
    const draining = gatedExecutor.drain!().then(() => {
      drained = true;
    });
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(drained).toBe(false);
    open();
    await draining;
    expect(order).toEqual(["delete started", "verdict passed", "delete finished"]);
    expect(outcome.phases.map((p) => p.phase)).not.toContain("cleanup");
    expect(await instanceExists(runId)).toBe(false);
  });
});
