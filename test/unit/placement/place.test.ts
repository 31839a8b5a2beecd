import { describe, expect, it } from "vitest";
import { freeCapacity, type HostLoad, placeLane } from "../../../src/placement/place.js";

const host = (id: string, extra: Partial<HostLoad> = {}): HostLoad => ({
  id,
  labels: [],
  capacity: 4,
  placed: 0,
  live: 0,
  alive: true,
  ...extra,
});
const any = { runsOn: [], avoid: [] };

describe("placeLane", () => {
  it("places 16 lanes over 2 hosts of capacity 4 without exceeding either, and uses both", () => {
    const hosts = [host("a"), host("b")];
    const running: string[] = [];
    let maxA = 0;
    let maxB = 0;
    let waited = 0;
    for (let lane = 0; lane < 16; lane++) {
      let placement = placeLane(hosts, any);
      if (placement.kind === "wait") {
        waited++;
        // The oldest running lane finishes and frees its host.
        const oldest = running.shift();
        const freed = hosts.find((h) => h.id === oldest)!;
        freed.placed -= 1;
        placement = placeLane(hosts, any);
      }
      expect(placement.kind).toBe("place");
      if (placement.kind !== "place") return;
      hosts.find((h) => h.id === placement.host)!.placed += 1;
      running.push(placement.host);
      maxA = Math.max(maxA, hosts[0]!.placed);
      maxB = Math.max(maxB, hosts[1]!.placed);
    }
    expect(maxA).toBe(4);
    expect(maxB).toBe(4);
    expect(waited).toBe(8);
  });

  it("spreads: the host with the most free capacity wins, counting live jobs of other runs", () => {
    expect(placeLane([host("a", { placed: 2 }), host("b", { placed: 1 })], any)).toEqual({
      kind: "place",
      host: "b",
    });
    expect(placeLane([host("a", { placed: 1 }), host("b", { live: 3 })], any)).toEqual({
      kind: "place",
      host: "a",
    });
    expect(placeLane([host("a"), host("b")], any)).toEqual({ kind: "place", host: "a" });
    expect(freeCapacity(host("a", { capacity: 4, placed: 1, live: 2 }))).toBe(1);
  });

  it("waits when every matching host is full, live jobs included", () => {
    expect(placeLane([host("a", { placed: 4 }), host("b", { placed: 2, live: 2 })], any)).toEqual({
      kind: "wait",
    });
  });

  it("places a lane only on hosts with every label it asks for", () => {
    const hosts = [host("a", { labels: ["x86_64"] }), host("b", { labels: ["x86_64", "big"], placed: 3 })];
    expect(placeLane(hosts, { runsOn: ["big"], avoid: [] })).toEqual({ kind: "place", host: "b" });
    expect(placeLane(hosts, { runsOn: ["x86_64"], avoid: [] })).toEqual({ kind: "place", host: "a" });
    const full = hosts.map((h) => ({ ...h, placed: 4 }));
    expect(placeLane(full, { runsOn: ["big"], avoid: [] })).toEqual({ kind: "wait" });
  });

  it("fails a lane whose labels match no host, naming the labels and the hosts", () => {
    const placement = placeLane([host("ssh://a:22", { labels: ["x86_64"] }), host("ssh://b:22")], {
      runsOn: ["arm64", "big"],
      avoid: [],
    });
    expect(placement.kind).toBe("no_match");
    if (placement.kind !== "no_match") return;
    expect(placement.message).toContain("[arm64, big]");
    expect(placement.message).toContain("ssh://a:22 [x86_64]");
    expect(placement.message).toContain("ssh://b:22 []");
  });

  it("never places on a dead host, and says so when no matching host is left", () => {
    expect(placeLane([host("a", { alive: false }), host("b", { placed: 3 })], any)).toEqual({
      kind: "place",
      host: "b",
    });
    const none = placeLane([host("a", { alive: false }), host("b", { alive: false, labels: ["big"] })], any);
    expect(none.kind).toBe("no_host");
  });

  it("sends a retry to another matching host, and back to the same one only when it is the only one", () => {
    const hosts = [host("a"), host("b", { placed: 3 })];
    expect(placeLane(hosts, { runsOn: [], avoid: ["a"] })).toEqual({ kind: "place", host: "b" });
    // The other host is full: the retry waits for it rather than going back to where it failed.
    expect(placeLane([host("a"), host("b", { placed: 4 })], { runsOn: [], avoid: ["a"] })).toEqual({
      kind: "wait",
    });
    expect(placeLane([host("a"), host("b", { alive: false })], { runsOn: [], avoid: ["a"] })).toEqual({
      kind: "place",
      host: "a",
    });
  });
});
