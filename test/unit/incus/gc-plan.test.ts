import { describe, expect, it } from "vitest";
import { planReap } from "../../../src/executor/incus/gc-plan.js";
import type { InstanceSummary } from "../../../src/incus/list.js";

const now = Date.parse("2026-03-24T12:00:00Z") / 1000;
const at = (secsAgo: number) => new Date((now - secsAgo) * 1000).toISOString();
const instance = (name: string, runId: string | null, createdSecsAgo: number): InstanceSummary => ({
  name,
  status: "Running",
  created_at: at(createdSecsAgo),
  config: runId ? { "user.pikaci.run_id": runId, "user.pikaci.created_at": at(createdSecsAgo) } : {},
  devices: [],
});

describe("planReap", () => {
  const plan = (instances: InstanceSummary[], beats: [string, number | null][]) =>
    planReap({
      instances,
      heartbeats: new Map(beats),
      hostNowSecs: now,
      olderThanSecs: 6 * 3600,
      staleAfterSecs: 30,
    }).map((d) => [d.name, d.remove]);

  it("keeps instances of live runs and removes those whose heartbeat is stale or missing", () => {
    expect(
      plan(
        [
          instance("pikaci-live", "r-live", 60),
          instance("pikaci-dead", "r-dead", 60),
          instance("pikaci-gone", "r-gone", 60),
        ],
        [
          ["r-live", now - 5],
          ["r-dead", now - 31],
          ["r-gone", null],
        ],
      ),
    ).toEqual([
      ["pikaci-live", false],
      ["pikaci-dead", true],
      ["pikaci-gone", true],
    ]);
  });

  it("removes anything older than the limit even when its run is alive", () => {
    expect(plan([instance("pikaci-old", "r", 7 * 3600)], [["r", now]])).toEqual([["pikaci-old", true]]);
  });

  it("leaves unlabelled young instances and ignores names without the prefix", () => {
    expect(plan([instance("pikaci-manual", null, 60), instance("web-1", "r", 9 * 3600)], [])).toEqual([
      ["pikaci-manual", false],
    ]);
  });
});
