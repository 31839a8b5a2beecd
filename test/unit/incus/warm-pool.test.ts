import { describe, expect, it } from "vitest";
import {
  CLAIM_DEVICE,
  claimable,
  memberLabels,
  memberName,
  POOL_LABEL,
  type PoolKey,
  planPoolReap,
  poolKeyLabel,
  splitPoolMembers,
  unclaimedCount,
} from "../../../src/executor/incus/warm-pool.js";
import { claimArgv, createArgv, instancePatch, queryArgv } from "../../../src/incus/argv.js";
import type { InstanceSummary } from "../../../src/incus/list.js";

const fp = "a".repeat(64);
const key: PoolKey = { fingerprint: fp, instanceType: "container", project: "default" };
const now = Date.parse("2026-03-24T12:00:00Z") / 1000;
const member = (
  name: string,
  over: { status?: string; devices?: string[]; labels?: Record<string, string>; ageSecs?: number } = {},
): InstanceSummary => ({
  name: `pikaci-pool-${name}`,
  status: over.status ?? "Running",
  created_at: null,
  config: {
    ...memberLabels(key, "pikaci-busybox", new Date((now - (over.ageSecs ?? 60)) * 1000)),
    ...over.labels,
  },
  devices: over.devices ?? [],
});

describe("warm pool (pure)", () => {
  it("names members by image and a random suffix, and labels them with the key", () => {
    expect(memberName(key, () => "0123abcd")).toBe("pikaci-pool-aaaaaaaaaaaa-0123abcd");
    expect(memberLabels(key, "img", new Date(0))).toEqual({
      [POOL_LABEL.key]: `${fp}/container/default`,
      [POOL_LABEL.alias]: "img",
      [POOL_LABEL.fingerprint]: fp,
      [POOL_LABEL.createdAt]: "1970-01-01T00:00:00.000Z",
    });
  });

  it("offers only running, unclaimed members of the same key", () => {
    const other = { ...key, project: "ci" };
    const instances = [
      member("ok"),
      member("starting", { status: "Stopped" }),
      member("taken", { devices: [CLAIM_DEVICE] }),
      member("vm", { labels: { [POOL_LABEL.key]: poolKeyLabel({ ...key, instanceType: "vm" }) } }),
      member("ci", { labels: { [POOL_LABEL.key]: poolKeyLabel(other) } }),
      { ...member("x"), name: "pikaci-0123456789ab" },
    ];
    expect(claimable(instances, key)).toEqual(["pikaci-pool-ok"]);
    // A member being launched counts toward the pool's size, a claimed one does not.
    expect(unclaimedCount(instances, key)).toBe(2);
  });

  it("shuffles candidates so concurrent claimers spread out", () => {
    const instances = ["a", "b", "c"].map((n) => member(n));
    expect(claimable(instances, key, () => 0)).toEqual(["pikaci-pool-b", "pikaci-pool-c", "pikaci-pool-a"]);
  });

  it("reaps outdated and too old members, keeps current ones", () => {
    const decisions = planPoolReap({
      members: [
        member("fresh"),
        member("updated", { labels: { [POOL_LABEL.fingerprint]: "b".repeat(64) } }),
        member("gone", { labels: { [POOL_LABEL.alias]: "deleted-alias" } }),
        member("old", { ageSecs: 7200 }),
      ],
      currentImages: new Map([
        ["pikaci-busybox", fp],
        ["deleted-alias", null],
      ]),
      hostNowSecs: now,
      olderThanSecs: 3600,
    });
    expect(decisions.map((d) => [d.name.slice(12), d.remove, d.reason])).toEqual([
      ["fresh", false, "warm pool member: current image, 60s old"],
      ["updated", true, "warm pool member: image pikaci-busybox has been updated"],
      ["gone", true, "warm pool member: image deleted-alias is gone"],
      ["old", true, "warm pool member: older than 60m (2h)"],
    ]);
  });

  it("splits gc's list: claimed members with job labels are jobs, without are being claimed", () => {
    const job = member("job", { devices: [CLAIM_DEVICE], labels: { "user.pikaci.run_id": "r" } });
    const claiming = member("claiming", { devices: [CLAIM_DEVICE] });
    const free = member("free");
    const plain = { ...member("p"), name: "pikaci-0123456789ab" };
    const split = splitPoolMembers([job, claiming, free, plain]);
    expect(split.unclaimed).toEqual([free]);
    expect(split.claiming).toEqual([claiming]);
    expect(split.rest).toEqual([job, plain]);
  });
});

describe("warm pool argv", () => {
  it("claims with a device add (ETag-checked by the incus CLI)", () => {
    expect(claimArgv("pikaci-pool-x", CLAIM_DEVICE, { project: "ci" })).toEqual([
      "incus",
      "config",
      "device",
      "add",
      "--project",
      "ci",
      "pikaci-pool-x",
      "pikaci-claim",
      "none",
    ]);
  });

  it("hot-plugs disks and labels with one PATCH, in the project", () => {
    const body = instancePatch(
      [{ name: "pk-snap-1", source: "/s", path: "/workspace/snapshot", readonly: true }],
      { "user.pikaci.run_id": "r" },
      false,
    );
    expect(body).toEqual({
      config: { "user.pikaci.run_id": "r" },
      devices: { "pk-snap-1": { type: "disk", source: "/s", path: "/workspace/snapshot", readonly: "true" } },
    });
    expect(queryArgv("/1.0/instances/x", { project: "ci" }, body)).toEqual([
      "incus",
      "query",
      "-X",
      "PATCH",
      "--data",
      JSON.stringify(body),
      "/1.0/instances/x?project=ci",
    ]);
    expect(queryArgv("/1.0/instances?recursion=1", { project: "ci" })).toEqual([
      "incus",
      "query",
      "/1.0/instances?recursion=1&project=ci",
    ]);
  });

  it("puts an instance's root disk on a named storage pool", () => {
    const spec = { image: "img", name: "pikaci-x", vm: false, config: {}, devices: [], storage: "default" };
    expect(createArgv(spec, {}, true).argv).toEqual([
      "incus",
      "launch",
      "img",
      "pikaci-x",
      "--storage",
      "default",
    ]);
  });
});
