import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import type { JobEvents } from "../../src/executor/executor.js";
import { createIncusExecutor } from "../../src/executor/incus-executor.js";
import { buildSnapshot } from "../../src/snapshot/build.js";
import { connectSsh } from "../../src/ssh/ssh-transport.js";
import {
  createSandbox,
  destroySandbox,
  hostFlags,
  loadRun,
  pikaci,
  runIds,
  sandboxFor,
} from "./helpers/cli-incus.js";
import { describeE2E, requireHostEnvVars } from "./helpers/test-host.js";

/**
 * `network:` on the real test host (pikacibr0 from test/host/setup.sh, pikaci-debian-node image):
 * a lane with network reaches the package registry this machine is configured for (its address is
 * read from `npm config get registry` now, never written down), a lane without cannot reach
 * anything, and a run whose lanes are refused network (an unapproved fork) fails the lane.
 */
const vars = requireHostEnvVars() ?? {};
const IMAGE = vars.PIKACI_TEST_IMAGE_NODE ?? "pikaci-debian-node";

/** host and port of the configured npm registry. */
function registry(): { host: string; port: number } {
  const url = new URL(execFileSync("npm", ["config", "get", "registry"], { encoding: "utf8" }).trim());
  return { host: url.hostname, port: Number(url.port || (url.protocol === "https:" ? 443 : 80)) };
}

/** A node one-liner: exit 0 when a TCP connection to $REG_HOST:$REG_PORT opens, 7 when it fails. */
const CONNECT = `node -e '
const s = require("net").connect({ host: process.env.REG_HOST, port: Number(process.env.REG_PORT) });
const t = setTimeout(() => { console.log("connect: timeout"); process.exit(7); }, 8000);
s.on("connect", () => { console.log("connect: ok " + s.remoteAddress); clearTimeout(t); s.destroy(); process.exit(0); });
s.on("error", (e) => { console.log("connect: " + e.code); process.exit(7); });'`;

describeE2E("lane network (real sshd + Incus + bridge)", (host) => {
  const sandbox = sandboxFor("net");
  let base: string;
  let repo: string;
  beforeAll(async () => {
    base = await mkdtemp(join(tmpdir(), "pikaci-e2e-net-"));
    repo = join(base, "repo");
    await mkdir(join(repo, ".github"), { recursive: true });
    const { host: regHost, port } = registry();
    const lane = (id: string, extra: string, command: string) =>
      `  - id: ${id}\n${extra}    command: ${JSON.stringify(command)}\n`;
    await writeFile(
      join(repo, ".github/pikaci.yml"),
      `version: 1\ndefaults:\n  image: ${IMAGE}\n  infra_retries: 0\n  env:\n    REG_HOST: ${JSON.stringify(regHost)}\n    REG_PORT: "${port}"\nlanes:\n` +
        lane("online", "    network: true\n", `${CONNECT}`) +
        lane(
          "offline",
          "",
          // No NIC but lo, and the registry is unreachable: the lane passes only if both hold.
          `ls /sys/class/net; test "$(ls /sys/class/net)" = lo || exit 3; ${CONNECT}; test $? = 7`,
        ),
    );
    await createSandbox(host, sandbox);
  });
  afterAll(async () => {
    await destroySandbox(host, sandbox);
    await rm(base, { recursive: true, force: true });
  });

  it("a network: true lane reaches the registry; a lane without network reaches nothing", async () => {
    const state = join(base, "state");
    const result = await pikaci(["run", ...hostFlags(host, sandbox), "--state-root", state], { cwd: repo });
    const [id] = await runIds(state);
    const run = await loadRun(state, id!);
    const logs = (lane: string) => readFileSync(join(state, "runs", id!, "jobs", lane, "guest.log"), "utf8");
    expect(result.code, `${result.stdout}${result.stderr}\n${logs("online")}\n${logs("offline")}`).toBe(0);
    expect(run.jobs.map((j) => [j.lane_id, j.status])).toEqual([
      ["online", "passed"],
      ["offline", "passed"],
    ]);
    expect(logs("online")).toMatch(/connect: ok /);
    expect(logs("offline")).toMatch(/connect: (ENETUNREACH|EAI_AGAIN|ENOTFOUND|EHOSTUNREACH)/);
    const hostLog = readFileSync(join(state, "runs", id!, "jobs", "online", "host.log"), "utf8");
    expect(hostLog).toMatch(/network pikacibr0: \d+\.\d+\.\d+\.\d+/);
  });

  it("a run that is refused network (an unapproved fork) fails a network lane before it runs", async () => {
    const transport = await connectSsh({
      url: `ssh://${host.sshUser}@${host.sshHost}:${host.sshPort}`,
      privateKey: readFileSync(host.sshKey),
      knownHosts: readFileSync(host.knownHostsFile, "utf8"),
    });
    try {
      const executor = createIncusExecutor({
        transport,
        remoteWorkDir: sandbox.remoteWorkDir,
        project: sandbox.project,
        networkRefusal: "this pull request comes from a fork (someone/fork) and no maintainer approved it",
      });
      const built = await buildSnapshot({ root: repo, cacheFile: null });
      let hostLog = "";
      const events: JobEvents = {
        phase: () => {},
        log: (stream, text) => {
          if (stream === "host") hostLog += text;
        },
      };
      const outcome = await executor.runJob(
        {
          run_id: "20260324T120000Z-0000beef",
          lane_id: "online",
          description: "refused",
          attempt: 1,
          execute: {
            command: "echo must-not-run",
            run_as_root: false,
            timeout_secs: 60,
            writable_workspace: false,
            image: IMAGE,
            instance_type: "container",
            env: {},
            caches: [],
            mounts: [],
            concurrency_group: null,
            infra_retries: 0,
            network: "pikacibr0",
          },
          snapshot: built,
          job_dir: base,
        },
        events,
        new AbortController().signal,
      );
      expect(outcome.status).toBe("failed");
      expect(outcome.message).toMatch(/network refused: this pull request comes from a fork/);
      expect(outcome.phases.find((p) => p.phase === "launch_guest")).toBeUndefined();
      expect(hostLog).not.toContain("must-not-run");
    } finally {
      await transport.close();
    }
  });
});
