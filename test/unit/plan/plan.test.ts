import { describe, expect, it } from "vitest";
import { UsageError } from "../../../src/errors/index.js";
import { buildRunPlan, PREPARE_NODE_ID, selectLanes } from "../../../src/plan/index.js";
import { type PikaciConfig, PlanRecord } from "../../../src/schema/index.js";

/** Ten lanes with mixed globs; `docs/x.md` should select docs, markdown, dotfiles-free any-md, always, braces. */
const LANES: Array<{ id: string; paths?: string[] }> = [
  { id: "rust", paths: ["crates/**", "Cargo.toml", "Cargo.lock"] },
  { id: "docs", paths: ["docs/**"] },
  { id: "markdown", paths: ["**/*.md"] },
  { id: "always" },
  { id: "empty-paths", paths: [] },
  { id: "web", paths: ["web/**/*.{ts,tsx}", "package.json"] },
  { id: "braces", paths: ["{docs,site}/*.md"] },
  { id: "docs-images", paths: ["docs/**/*.png"] },
  { id: "root-md", paths: ["*.md"] },
  { id: "github", paths: [".github/**"] },
];

const CONFIG: PikaciConfig = {
  version: 1,
  defaults: { timeout: "10m" },
  lanes: LANES.map((lane) => ({
    id: lane.id,
    command: `echo ${lane.id}`,
    ...(lane.paths ? { paths: lane.paths } : {}),
  })),
};

function selectedIds(changed: string[] | null): string[] {
  return buildRunPlan(CONFIG, changed)
    .selection.filter((s) => s.selected)
    .map((s) => s.lane_id);
}

describe("selection by changed paths", () => {
  it("docs/x.md selects exactly the lanes whose globs match, plus the unfiltered ones", () => {
    const { selection } = buildRunPlan(CONFIG, ["docs/x.md"]);
    expect(selection.filter((s) => s.selected).map((s) => s.lane_id)).toEqual([
      "docs",
      "markdown",
      "always",
      "empty-paths",
      "braces",
    ]);
    const byId = Object.fromEntries(selection.map((s) => [s.lane_id, s]));
    expect(byId.docs!.reason).toBe("docs/x.md matched docs/**");
    expect(byId.markdown!.reason).toBe("docs/x.md matched **/*.md");
    expect(byId.always!.reason).toBe("no path filters");
    expect(byId["empty-paths"]!.reason).toBe("no path filters");
    expect(byId.rust).toMatchObject({ selected: false, reason: "no changed files matched 3 path filter(s)" });
    expect(byId.web).toMatchObject({ selected: false, reason: "no changed files matched 2 path filter(s)" });
    expect(byId["docs-images"]).toMatchObject({
      selected: false,
      reason: "no changed files matched 1 path filter(s)",
    });
    expect(byId["root-md"]!.selected).toBe(false);
    expect(byId.github!.selected).toBe(false);
  });

  it.each([
    { changed: ["README.md"], want: ["markdown", "always", "empty-paths", "root-md"] },
    { changed: ["web/src/a/b.tsx"], want: ["always", "empty-paths", "web"] },
    { changed: ["web/src/a/b.css"], want: ["always", "empty-paths"] },
    { changed: [".github/workflows/ci.yml"], want: ["always", "empty-paths", "github"] },
    { changed: ["./crates/x/src/lib.rs"], want: ["rust", "always", "empty-paths"] },
    { changed: [], want: ["always", "empty-paths"] },
  ])("$changed → $want", ({ changed, want }) => {
    expect(selectedIds(changed)).toEqual(want);
  });

  it("a change to the config file selects every lane and says why", () => {
    const { selection } = buildRunPlan(CONFIG, [".github/pikaci.yml"]);
    expect(selection.every((s) => s.selected)).toBe(true);
    expect(selection.find((s) => s.lane_id === "rust")!.reason).toBe("the pikaci config changed");
  });

  it("honours a custom config path", () => {
    const changed = ["ci/pikaci.yml"];
    expect(buildRunPlan(CONFIG, changed).selection.filter((s) => s.selected)).toHaveLength(2);
    const all = buildRunPlan(CONFIG, changed, { configPath: "ci/pikaci.yml" }).selection;
    expect(all.every((s) => s.selected)).toBe(true);
  });

  it("an unknown change set (null) selects every lane and says so", () => {
    const { selection } = buildRunPlan(CONFIG, null);
    expect(selection.every((s) => s.selected)).toBe(true);
    const filtered = selection.filter((s) => s.paths.length > 0);
    expect(filtered.length).toBe(8);
    for (const s of filtered) expect(s.reason).toBe("change detection unavailable; running every lane");
  });

  it("selectLanes is usable on its own", () => {
    expect(
      selectLanes({ lanes: [{ id: "a", paths: ["x/**"] }], changedFiles: ["x/y"], configPath: "c.yml" }),
    ).toEqual([{ lane_id: "a", paths: ["x/**"], selected: true, reason: "x/y matched x/**" }]);
  });
});

describe("the plan", () => {
  it("has one prepare node, then one execute node per selected lane", () => {
    const { plan, lanes } = buildRunPlan(CONFIG, ["docs/x.md"], { executor: "incus" });
    expect(plan.nodes[0]).toEqual({
      kind: "prepare",
      id: PREPARE_NODE_ID,
      description: "hash and stage the workspace snapshot",
      executor: "incus",
    });
    const execute = plan.nodes.slice(1);
    expect(execute.map((n) => n.id)).toEqual([
      "execute-docs",
      "execute-markdown",
      "execute-always",
      "execute-empty-paths",
      "execute-braces",
    ]);
    for (const node of execute) {
      expect(node).toMatchObject({ kind: "execute", executor: "incus" });
    }
    expect(execute[0]).toMatchObject({
      lane_id: "docs",
      execute: { command: "echo docs", timeout_secs: 600 },
    });
    expect(lanes.map((l) => l.id)).toEqual(execute.map((n) => (n.kind === "execute" ? n.lane_id : "")));
    expect(plan.selection).toEqual(buildRunPlan(CONFIG, ["docs/x.md"]).selection);
    expect(() => PlanRecord.parse(plan)).not.toThrow();
  });

  it("is a valid plan.json with null run id and time by default", () => {
    const { plan } = buildRunPlan(CONFIG, null);
    expect(plan).toMatchObject({ schema_version: 1, run_id: null, created_at: null, changed_files: null });
    expect(PlanRecord.parse(plan)).toEqual(plan);
  });

  it("carries the run id and time it is given", () => {
    const { plan } = buildRunPlan(CONFIG, ["a"], {
      runId: "20260324T162238Z-1a2b3c4d",
      createdAt: "2026-03-24T16:22:38Z",
    });
    expect(plan).toMatchObject({ run_id: "20260324T162238Z-1a2b3c4d", created_at: "2026-03-24T16:22:38Z" });
  });

  it("has no nodes when nothing is selected", () => {
    const config: PikaciConfig = { version: 1, lanes: [{ id: "a", command: "x", paths: ["a/**"] }] };
    const { plan, selection, lanes } = buildRunPlan(config, ["b"]);
    expect(plan.nodes).toEqual([]);
    expect(lanes).toEqual([]);
    expect(selection).toEqual([
      { lane_id: "a", paths: ["a/**"], selected: false, reason: "no changed files matched 1 path filter(s)" },
    ]);
  });
});

describe("laneIds", () => {
  it("restricts the plan to those lanes, which still go through path selection", () => {
    const { selection, plan } = buildRunPlan(CONFIG, ["docs/x.md"], { laneIds: ["rust", "docs"] });
    expect(selection.map((s) => [s.lane_id, s.selected])).toEqual([
      ["rust", false],
      ["docs", true],
    ]);
    expect(plan.nodes.map((n) => n.id)).toEqual([PREPARE_NODE_ID, "execute-docs"]);
  });

  it("rejects unknown ids, listing the valid ones", () => {
    const attempt = () => buildRunPlan(CONFIG, null, { laneIds: ["docs", "nope"] });
    expect(attempt).toThrow(UsageError);
    try {
      attempt();
    } catch (error) {
      expect((error as UsageError).message).toBe("unknown lane: nope");
      expect((error as UsageError).hint).toContain("rust, docs, markdown");
    }
  });
});

describe("purity", () => {
  it("returns deep-equal output for the same input and does not mutate its input", () => {
    const config = structuredClone(CONFIG);
    const changed = ["docs/x.md", "crates/a.rs"];
    const before = structuredClone({ config, changed });
    const first = buildRunPlan(config, changed, { laneIds: ["docs", "rust", "always"] });
    const second = buildRunPlan(config, changed, { laneIds: ["docs", "rust", "always"] });
    expect(first).toEqual(second);
    expect({ config, changed }).toEqual(before);

    // The output shares no mutable state with the input or with another call.
    first.plan.changed_files!.push("mutated");
    first.selection[0]!.paths.push("mutated");
    first.lanes[0]!.paths.push("mutated");
    expect(changed).toEqual(before.changed);
    expect(config).toEqual(before.config);
    expect(buildRunPlan(config, changed, { laneIds: ["docs", "rust", "always"] })).toEqual(second);
  });
});
