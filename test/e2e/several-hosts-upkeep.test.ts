import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import { instanceName, LABEL } from "../../src/executor/incus/names.js";
import { HostCheckReports } from "../../src/host-check/index.js";
import {
  createSandbox,
  destroySandbox,
  pikaci,
  pikaciInstances,
  type Sandbox,
  sandboxFor,
  sshHost,
} from "./helpers/cli-incus.js";
import type { TestHost } from "./helpers/test-host.js";
import { describeE2E } from "./helpers/test-host.js";
import { bothHostsKeyFlags, testHost2 } from "./helpers/test-host2.js";

/**
 * `pikaci gc` and `pikaci host check` over several build hosts (test host 1 and test host 2, a
 * second incusd): each host is visited, each with its own `?project=`, and a host that cannot be
 * reached is reported without hiding the others.
 */
describeE2E("gc and host check over several hosts (two real incusd)", (host) => {
  const host2 = testHost2(host);
  const sandbox = sandboxFor("upkeep");
  const url1 = `ssh://${host.sshUser}@${host.sshHost}:${host.sshPort}`;
  // Nothing listens on port 1: a host that is down.
  const down = "ssh://root@127.0.0.1:1";
  let cwd: string;

  const connection = [...bothHostsKeyFlags(host, host2), "--remote-work-dir", sandbox.remoteWorkDir];
  const withProject = (url: string) => `${url}?project=${sandbox.project}`;

  /** A pikaci instance of a run whose process is gone (no heartbeat): what gc removes. */
  const orphan = async (h: TestHost, box: Sandbox, job: string) => {
    const name = instanceName("20260324T130000Z-0000dead", job);
    const out = await sshHost(h, 'incus init "$1" "$2" --project "$3" -c "$4=20260324T130000Z-0000dead"', [
      h.image,
      name,
      box.project,
      LABEL.runId,
    ]);
    expect(out.code, out.stderr).toBe(0);
    return name;
  };

  beforeAll(async () => {
    cwd = await mkdtemp(join(tmpdir(), "pikaci-e2e-upkeep-"));
    await Promise.all([createSandbox(host, sandbox), createSandbox(host2, sandbox)]);
  });
  afterAll(async () => {
    await Promise.all([destroySandbox(host, sandbox), destroySandbox(host2, sandbox)]);
    await rm(cwd, { recursive: true, force: true });
  });

  it("gc collects every host in its own project and names the one it could not reach", async () => {
    const [one, two] = [await orphan(host, sandbox, "a"), await orphan(host2, sandbox, "b")];
    const result = await pikaci(
      ["gc", "--host", withProject(url1), "--host", down, "--host", withProject(host2.url), ...connection],
      { cwd },
    );
    const detail = `${result.stdout}${result.stderr}`;
    expect(result.code, detail).toBe(1);
    expect(result.stdout).toContain(
      `${url1}:\nremoved ${one}: run 20260324T130000Z-0000dead has no heartbeat`,
    );
    expect(result.stdout).toContain(`${host2.url}:\nremoved ${two}:`);
    expect(result.stderr).toMatch(/pikaci gc: ssh:\/\/root@127\.0\.0\.1:1 was not collected: .*unreachable/);
    expect(result.stderr).toMatch(/hint: check that sshd runs on 127\.0\.0\.1 port 1/);
    expect(await pikaciInstances(host, sandbox)).toEqual([]);
    expect(await pikaciInstances(host2, sandbox)).toEqual([]);
  });

  it("host check reports each host, fails when one is down, and prints them as one JSON document", async () => {
    const result = await pikaci(
      [
        "host",
        "check",
        "--host",
        withProject(url1),
        "--host",
        withProject(host2.url),
        "--host",
        down,
        "--image",
        host.image,
        "--json",
        ...connection,
      ],
      { cwd },
    );
    expect(result.code, `${result.stdout}${result.stderr}`).toBe(1);
    const reports = HostCheckReports.parse(JSON.parse(result.stdout));
    expect(reports.healthy).toBe(false);
    expect(reports.hosts.map((entry) => entry.url)).toEqual([url1, host2.url, down]);
    const [first, second, third] = reports.hosts;
    expect([first?.report?.healthy, second?.report?.healthy]).toEqual([true, true]);
    expect([first?.report?.facts.project, second?.report?.facts.project]).toEqual([
      sandbox.project,
      sandbox.project,
    ]);
    // Two daemons: each answers on its own socket.
    expect(first?.report?.facts.incus.api?.socket).not.toBe(second?.report?.facts.incus.api?.socket);
    expect(third).toMatchObject({ report: null, error: expect.stringMatching(/unreachable[\s\S]*hint: /) });
  });

  it("host check without --host checks the config's hosts, and passes when every one is healthy", async () => {
    const config = [
      "version: 1",
      "hosts:",
      `  - url: ${url1}`,
      `    project: ${sandbox.project}`,
      `  - url: ${host2.url}`,
      `    project: ${sandbox.project}`,
      "lanes:",
      "  - id: unit",
      `    image: ${host.image}`,
      "    command: 'true'",
      "",
    ].join("\n");
    await writeFile(join(cwd, "hosts.yml"), config);
    const result = await pikaci(["host", "check", "--config", "hosts.yml", ...connection], { cwd });
    expect(result.code, `${result.stdout}${result.stderr}`).toBe(0);
    expect(result.stdout).toContain(`pikaci host check: ${url1} (Incus project ${sandbox.project})`);
    expect(result.stdout).toContain(`pikaci host check: ${host2.url} (Incus project ${sandbox.project})`);
    expect(result.stdout).toMatch(/\n2 of 2 hosts healthy\n$/);
    // Progress names the host each step is on.
    expect(result.stderr).toContain(`pikaci: ${host2.url}: `);
  });
});
