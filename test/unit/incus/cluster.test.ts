import { describe, expect, it } from "vitest";
import { createArgv } from "../../../src/incus/argv.js";
import {
  clusterTarget,
  NOT_CLUSTERED,
  parseMemberNames,
  parseServerClustered,
} from "../../../src/incus/cluster.js";
import { clusterTargets } from "../../../src/incus/cluster-probe.js";
import type { ExecResult, Transport } from "../../../src/transport/transport.js";

const cluster = { clustered: true, members: ["node-a", "node-b"] };

describe("an Incus cluster as one host", () => {
  it("reads server_clustered from GET /1.0 (absent: not clustered)", () => {
    expect(parseServerClustered('{"environment":{"server_clustered":true,"server_name":"node-a"}}')).toBe(
      true,
    );
    expect(parseServerClustered('{"environment":{"server_clustered":false}}')).toBe(false);
    expect(parseServerClustered('{"api_version":"1.0"}')).toBe(false);
  });

  it("reads member names from the member URLs of GET /1.0/cluster/members", () => {
    const json = '["/1.0/cluster/members/node-a","/1.0/cluster/members/rack%202"]';
    expect(parseMemberNames(json)).toEqual(["node-a", "rack 2"]);
    expect(() => parseMemberNames('{"error":"not clustered"}')).toThrow(/did not answer a list/);
  });

  it("targets the one member a lane's labels name, and leaves the rest to Incus", () => {
    expect(clusterTarget(cluster, ["x86_64", "node-b"])).toBe("node-b");
    expect(clusterTarget(cluster, ["x86_64", "big"])).toBeUndefined();
    expect(clusterTarget(cluster, [])).toBeUndefined();
    // Not a cluster: a label that happens to equal a name means nothing to Incus.
    expect(clusterTarget(NOT_CLUSTERED, ["node-b"])).toBeUndefined();
    expect(clusterTarget({ clustered: false, members: ["node-b"] }, ["node-b"])).toBeUndefined();
  });

  it("refuses a lane that names two members, naming both and the fix", () => {
    expect(() => clusterTarget(cluster, ["node-a", "node-b"])).toThrow(
      "runs_on names several members of one Incus cluster: node-a, node-b",
    );
  });

  it("puts --target into incus launch only when there is a target", () => {
    const spec = { image: "img", name: "pikaci-0123456789ab", vm: false, config: {}, devices: [] };
    expect(createArgv({ ...spec, target: "node-b" }, { project: "ci" }, true).argv).toEqual([
      "incus",
      "launch",
      "--project",
      "ci",
      "img",
      "pikaci-0123456789ab",
      "--target",
      "node-b",
    ]);
    expect(createArgv(spec, {}, true).argv).not.toContain("--target");
  });
});

/** A build host that answers `incus query` from a table and counts the calls. */
function fakeHost(answers: Record<string, string>): Transport & { calls: string[] } {
  const calls: string[] = [];
  const ok = (text: string): ExecResult => ({
    code: 0,
    signal: null,
    stdout: Buffer.from(text),
    stderr: Buffer.alloc(0),
  });
  return {
    description: "fake",
    calls,
    async exec(argv) {
      const path = argv.at(-1) ?? "";
      calls.push(path);
      const answer = answers[path];
      if (answer === undefined)
        return { code: 1, signal: null, stdout: Buffer.alloc(0), stderr: Buffer.from("Error: not found") };
      return ok(answer);
    },
    async close() {},
  };
}

describe("clusterTargets (probing a host once)", () => {
  it("asks nothing for lanes without labels", async () => {
    const host = fakeHost({});
    const targetOf = clusterTargets(host);
    expect(await targetOf([])).toBeUndefined();
    expect(host.calls).toEqual([]);
  });

  it("probes a cluster once and maps every lane's labels", async () => {
    const host = fakeHost({
      "/1.0": '{"environment":{"server_clustered":true}}',
      "/1.0/cluster/members": '["/1.0/cluster/members/node-a","/1.0/cluster/members/node-b"]',
    });
    const targetOf = clusterTargets(host);
    expect(await targetOf(["node-b"])).toBe("node-b");
    expect(await targetOf(["big"])).toBeUndefined();
    expect(host.calls).toEqual(["/1.0", "/1.0/cluster/members"]);
  });

  it("does not list members of a daemon that is not clustered", async () => {
    const host = fakeHost({ "/1.0": '{"environment":{"server_clustered":false}}' });
    expect(await clusterTargets(host)(["node-b"])).toBeUndefined();
    expect(host.calls).toEqual(["/1.0"]);
  });

  it("reports a failed probe as infrastructure and asks again for the next lane", async () => {
    const host = fakeHost({});
    const targetOf = clusterTargets(host);
    await expect(targetOf(["node-b"])).rejects.toThrow(/incus query \/1.0 failed on fake: Error: not found/);
    await expect(targetOf(["node-b"])).rejects.toThrow(/failed on fake/);
    expect(host.calls).toEqual(["/1.0", "/1.0"]);
  });
});
