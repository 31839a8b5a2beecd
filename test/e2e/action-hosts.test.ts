import { execFileSync } from "node:child_process";
import { readFile } from "node:fs/promises";
import path from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import { RunRecord } from "../../src/schema/index.js";
import {
  node24,
  parseCommandFile,
  ROOT,
  runAction,
  scenario,
  startAction,
  TOKEN,
} from "./helpers/action-harness.js";
import {
  createSandbox,
  destroySandbox,
  pikaciInstances,
  sandboxFor,
  sshHost,
  waitFor,
} from "./helpers/cli-incus.js";
import { describeE2E } from "./helpers/test-host.js";
import { testHost2 } from "./helpers/test-host2.js";

const CONFIG = `version: 1
defaults:
  image: pikaci-debian
lanes:
  - id: ok
    command: echo all good
  - id: bad
    command: echo broken; exit 3
`;

/**
 * The Action with the `hosts` input over both test hosts. Host 2's project keeps its own (empty)
 * image store, so every launch there is a real Incus error (an infrastructure failure): each lane is
 * retried on host 1, and its check run shows both attempts with their hosts.
 */
describeE2E("the Action over two build hosts (`hosts` input, real sshd + Incus twice)", (host) => {
  const host2 = testHost2(host);
  const sandbox = sandboxFor("action-hosts");
  const cleanups: (() => Promise<void>)[] = [];
  beforeAll(async () => {
    execFileSync(process.execPath, [path.join(ROOT, "scripts/bundle.mjs")], { cwd: ROOT, stdio: "pipe" });
    await createSandbox(host, sandbox);
    const created = await sshHost(
      host2,
      'incus project create "$1" -c features.images=true -c features.profiles=false -c features.storage.volumes=false',
      [sandbox.project],
    );
    expect(created.code, created.stderr).toBe(0);
  }, 120_000);
  afterAll(async () => {
    for (const c of cleanups) await c();
    await Promise.all([destroySandbox(host, sandbox), destroySandbox(host2, sandbox)]);
  });

  it("retries each lane on host 1 after Incus failed it on host 2, and the check run shows both attempts", async () => {
    const s = await scenario({ config: CONFIG });
    cleanups.push(
      () => s.github.close(),
      () => s.artifacts.close(),
    );
    const id1 = `ssh://root@127.0.0.1:${host.sshPort}?project=${sandbox.project}`;
    const id2 = `ssh://root@127.0.0.1:${host2.sshPort}?project=${sandbox.project}`;
    const inputs = {
      token: TOKEN,
      hosts: `${id1}&capacity=1\n${id2}&capacity=4\n`,
      "ssh-key": await readFile(host.sshKey, "utf8"),
      "ssh-known-hosts":
        (await readFile(host.knownHostsFile, "utf8")) + (await readFile(host2.knownHostsFile, "utf8")),
      "remote-work-dir": sandbox.remoteWorkDir,
      "check-runs": JSON.stringify({ ok: 201, bad: 202 }),
    };
    const { code, stderr } = await runAction(node24(), "index.js", s, inputs, "workflow_dispatch");
    expect(code, stderr).toBe(1);
    const summary = (id: number) => {
      const last = s.github.checkRuns.get(id)!.updates.at(-1)!;
      expect(last.conclusion).toBeDefined();
      return { conclusion: last.conclusion, text: (last.output as { summary: string }).summary };
    };
    const ok = summary(201);
    expect(ok.conclusion).toBe("success");
    expect(ok.text).toContain(`host \`${id1}\``);
    expect(ok.text).toMatch(
      new RegExp(
        `- attempt 1 on \`${literal(id2)}\`: failed \\(infrastructure\\).*image 'pikaci-debian' is not on the build host`,
      ),
    );
    expect(ok.text).toContain(`- attempt 2 on \`${id1}\`: passed`);
    const bad = summary(202);
    expect(bad.conclusion).toBe("failure");
    expect(bad.text).toContain(`- attempt 2 on \`${id1}\`: failed (test failure)`);
    const outputs = parseCommandFile(await readFile(s.files.output, "utf8"));
    const run = RunRecord.parse(JSON.parse(await readFile(outputs["run-json"]!, "utf8")));
    expect(run.hosts?.map((h) => [h.url, h.status, h.capacity])).toEqual([
      [id1, "used", 1],
      [id2, "used", 4],
    ]);
    expect(run.jobs.map((j) => j.attempts?.map((a) => a.host))).toEqual([
      [id2, id1],
      [id2, id1],
    ]);
  }, 300_000);
  it("the post step removes a killed run's instance on a host only the config's `hosts:` names", async () => {
    const url = `ssh://root@127.0.0.1:${host.sshPort}`;
    const config = [
      "version: 1",
      "hosts:",
      `  - url: ${url}`,
      `    project: ${sandbox.project}`,
      "lanes:",
      "  - id: sleepy",
      `    image: ${host.image}`,
      "    command: echo guest-up; sleep 300",
      "",
    ].join("\n");
    const s = await scenario({ config });
    cleanups.push(
      () => s.github.close(),
      () => s.artifacts.close(),
    );
    const inputs = {
      token: TOKEN,
      "ssh-key": await readFile(host.sshKey, "utf8"),
      "ssh-known-hosts": await readFile(host.knownHostsFile, "utf8"),
      "remote-work-dir": sandbox.remoteWorkDir,
      "check-runs": JSON.stringify({ sleepy: 301 }),
    };
    const main = startAction(node24(), "index.js", s, inputs, "workflow_dispatch");
    // Running, and its guest started: the launch is over, so nothing but a clean-up removes it.
    const instance = await waitFor("the lane's guest running on the config's host", 90_000, async () => {
      const out = await sshHost(host, 'incus list --project "$1" -f csv -c ns', [sandbox.project]);
      const running = out.stdout.toString().match(/^(pikaci-[0-9a-f]+),RUNNING$/m)?.[1];
      return running !== undefined && s.github.checkRuns.get(301)?.updates.length ? running : null;
    });
    // The runner's last resort: no signal the step can handle, so only the post step can clean up.
    main.child.kill("SIGKILL");
    expect((await main.done).signal).toBe("SIGKILL");
    expect(await pikaciInstances(host, sandbox)).toEqual([instance]);

    const state = parseCommandFile(await readFile(s.files.state, "utf8"));
    const stateEnv = Object.fromEntries(Object.entries(state).map(([k, v]) => [`STATE_${k}`, v]));
    const post = await startAction(node24(), "post.js", s, inputs, "workflow_dispatch", stateEnv).done;
    expect(post.code, post.stderr).toBe(0);
    expect(post.stdout).toContain(
      `removed leftover instance ${instance} of run ${state["pikaci-run-id"]} on ${url}`,
    );
    expect(await pikaciInstances(host, sandbox)).toEqual([]);
  }, 180_000);
});

const literal = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
