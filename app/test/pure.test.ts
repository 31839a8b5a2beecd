import { describe, expect, it } from "vitest";
import { parseConfig } from "../../src/config/index.js";
import { ConfigError, UsageError } from "../../src/errors/index.js";
import {
  actionsForConclusion,
  approveAndRunAction,
  REQUESTED_ACTION_LIMITS,
  rerunFailedAction,
} from "../../src/report/requested-actions.js";
import { planCheckRuns } from "../src/check-runs.js";
import { configFailureCheck } from "../src/config-check.js";
import { buildDispatchInputs, describeDispatchFailure, workflowTarget } from "../src/dispatch.js";
import { loadAppEnv } from "../src/env.js";
import { decodeExternalId, EXTERNAL_ID_MAX_LENGTH, encodeExternalId } from "../src/external-id.js";
import type { CheckRunInfo } from "../src/github-port.js";
import { ownLanes } from "../src/handlers/own-lanes.js";
import { mapLimit } from "../src/map-limit.js";
import { withThrottle } from "../src/octokit-class.js";
import { skippedOutput } from "../src/outputs.js";
import { CHANGED, HEAD_SHA, tenLaneConfig, testPrivateKey } from "./helpers.js";

const RUN = "20260101T000000Z-0000abcd";

describe("external_id", () => {
  it("round-trips run, lane, PR and the fork flag", () => {
    for (const ref of [
      { runId: RUN, lane: "core-a", pr: 7, fork: false },
      { runId: RUN, lane: "pikaci/config", pr: 123456, fork: true },
      { runId: RUN, lane: "x".repeat(64), pr: 1, fork: false },
    ]) {
      const id = encodeExternalId(ref);
      expect(id.length).toBeLessThanOrEqual(EXTERNAL_ID_MAX_LENGTH);
      expect(decodeExternalId(id)).toEqual(ref);
    }
    expect(encodeExternalId({ runId: RUN, lane: "a", pr: 7, fork: true })).toBe(`pikaci:${RUN}:a:7:fork`);
  });

  it("rejects what is not ours", () => {
    for (const bad of [
      null,
      "",
      "ci:x",
      `other:${RUN}:a:7`,
      `pikaci:not-a-run:a:7`,
      `pikaci:${RUN}:../x:7`,
      `pikaci:${RUN}:a:0`,
      `pikaci:${RUN}:a:7:evil`,
      `pikaci:${RUN}:a:07`,
    ]) {
      expect(decodeExternalId(bad)).toBeNull();
    }
    expect(() => encodeExternalId({ runId: RUN, lane: "a:b", pr: 7, fork: false })).toThrow();
  });
});

describe("ownLanes", () => {
  const APP = 4242;
  const run = (id: number, lane: string, pr: number, startedAt: string | null): CheckRunInfo => ({
    id,
    name: lane,
    head_sha: HEAD_SHA,
    status: "completed",
    conclusion: "success",
    external_id: encodeExternalId({
      runId: `20260101T000000Z-${id.toString(16).padStart(8, "0")}`,
      lane,
      pr,
      fork: false,
    }),
    app_id: APP,
    started_at: startedAt,
  });
  // One commit, the head of #7 and #8; #8 ran after #7, then #7's unit was re-run. Listed newest first.
  const listing = [
    run(5, "unit", 7, "2026-01-01T12:00:00Z"),
    run(4, "lint", 8, "2026-01-01T11:00:00Z"),
    run(3, "unit", 8, "2026-01-01T11:00:00Z"),
    run(2, "lint", 7, "2026-01-01T10:00:00Z"),
    run(1, "unit", 7, "2026-01-01T10:00:00Z"),
  ];
  const ids = (lanes: { run: CheckRunInfo }[]) => lanes.map((l) => l.run.id);

  it("keeps the newest check run per lane and pull request, not per name", () => {
    expect(ids(ownLanes(listing, { appId: APP }))).toEqual([5, 4, 3, 2]);
    expect(ids(ownLanes(listing, { appId: APP, pr: 7 }))).toEqual([5, 2]);
    expect(ids(ownLanes(listing, { appId: APP, pr: 8 }))).toEqual([4, 3]);
  });

  it("breaks a tie in started_at by the higher id, whatever the listing order, and ranks no time oldest", () => {
    const same = [run(10, "unit", 7, "2026-01-01T10:00:00Z"), run(11, "unit", 7, "2026-01-01T10:00:00Z")];
    expect(ids(ownLanes(same, { appId: APP }))).toEqual([11]);
    expect(ids(ownLanes([...same].reverse(), { appId: APP }))).toEqual([11]);
    const untimed = [run(12, "unit", 7, null), run(11, "unit", 7, "2026-01-01T10:00:00Z")];
    expect(ids(ownLanes(untimed, { appId: APP }))).toEqual([11]);
  });
});

describe("planCheckRuns", () => {
  const config = parseConfig(tenLaneConfig(), ".github/pikaci.yml");
  const pr = { number: 7, headSha: HEAD_SHA, fork: false };

  it("splits lanes into queued and skipped by the changed paths", () => {
    const plan = planCheckRuns({ config, changedFiles: CHANGED, pr, runId: RUN, detailsUrl: "https://x/r" });
    expect(plan.create.map((c) => [c.name, c.status])).toEqual([
      ["core-a", "queued"],
      ["core-b", "queued"],
      ["core-c", "queued"],
    ]);
    expect(plan.skipped.every((c) => c.status === "completed" && c.conclusion === "skipped")).toBe(true);
    expect(plan.skipped.map((c) => c.name)).toEqual([
      "docs",
      "web",
      "nix",
      "images",
      "guest",
      "examples",
      "bench",
    ]);
  });

  it("selects every lane when the listing is incomplete, and a config change selects everything", () => {
    expect(planCheckRuns({ config, changedFiles: null, pr, runId: RUN, detailsUrl: "u" }).skipped).toEqual(
      [],
    );
    const touched = planCheckRuns({
      config,
      changedFiles: [".github/pikaci.yml"],
      pr,
      runId: RUN,
      detailsUrl: "u",
    });
    expect(touched.create).toHaveLength(10);
  });

  it("keeps a skipped summary under GitHub's byte limit however many files changed", () => {
    const files = Array.from({ length: 3000 }, (_, i) => `dir/${"é".repeat(40)}/${i}.txt`);
    const output = skippedOutput(
      { lane_id: "x", paths: ["a/**"], selected: false, reason: "no match" },
      files,
    );
    expect(Buffer.byteLength(output.summary)).toBeLessThanOrEqual(65_535);
    expect(output.summary).toContain("and 2980 more");
  });
});

describe("config check", () => {
  it("puts at most 50 annotations in the request and says how many issues there were", () => {
    const issues = Array.from({ length: 60 }, (_, i) => ({
      file: ".github/pikaci.yml",
      line: i + 1,
      col: 3,
      message: `m${i}`,
    }));
    const run = configFailureCheck({
      error: new ConfigError(issues),
      headSha: HEAD_SHA,
      runId: RUN,
      pr: 1,
      fork: false,
      detailsUrl: "u",
    });
    expect(run.output.annotations).toHaveLength(50);
    expect(run.output.summary).toContain("60 problems");
    expect(run.output.annotations![9]).toMatchObject({
      start_line: 10,
      end_line: 10,
      start_column: 3,
      end_column: 3,
    });
  });
});

describe("dispatch", () => {
  it("names the fix for each refusal", () => {
    const target = { workflow: "ci.yml", ref: "trunk" };
    expect(describeDispatchFailure(404, "Not Found", target).message).toBe(
      "workflow file .github/workflows/ci.yml not found on ref trunk",
    );
    expect(describeDispatchFailure(403, "x", target).hint).toContain("actions: write");
    expect(describeDispatchFailure(422, "Unexpected inputs", target).hint).toContain("workflow_dispatch");
    expect(describeDispatchFailure(502, "Bad gateway", target).message).toContain("HTTP 502");
  });

  it("takes the workflow from the config, defaulting the ref to the default branch", () => {
    expect(workflowTarget(null, "main")).toEqual({ workflow: "pikaci.yml", ref: "main" });
    expect(workflowTarget({ workflow: { file: ".github/workflows/ci.yml", ref: "v1" } }, "main")).toEqual({
      workflow: "ci.yml",
      ref: "v1",
    });
  });

  it("builds four string inputs and refuses a payload over 64 KB", () => {
    const inputs = buildDispatchInputs({ runId: RUN, headSha: HEAD_SHA, pr: 7, checkRuns: { a: 1 } });
    expect(inputs).toEqual({ run_id: RUN, head_sha: HEAD_SHA, pr: "7", check_runs: '{"a":1}' });
    const many = Object.fromEntries(
      Array.from({ length: 1000 }, (_, i) => [`lane-${"x".repeat(60)}-${i}`, 1e10 + i]),
    );
    expect(() => buildDispatchInputs({ runId: RUN, headSha: HEAD_SHA, pr: 7, checkRuns: many })).toThrow(
      UsageError,
    );
  });
});

describe("requested actions", () => {
  it("stay within GitHub's limits", () => {
    for (const action of [rerunFailedAction(), approveAndRunAction()]) {
      expect(action.label.length).toBeLessThanOrEqual(REQUESTED_ACTION_LIMITS.label);
      expect(action.identifier.length).toBeLessThanOrEqual(REQUESTED_ACTION_LIMITS.identifier);
      expect(action.description.length).toBeLessThanOrEqual(REQUESTED_ACTION_LIMITS.description);
    }
    expect(actionsForConclusion("failure")).toEqual([rerunFailedAction()]);
    expect(actionsForConclusion("success")).toEqual([]);
  });
});

describe("environment", () => {
  const good = {
    APP_ID: "12",
    PRIVATE_KEY: testPrivateKey().replace(/\n/g, "\\n"),
    WEBHOOK_SECRET: "s",
    PIKACI_STATE_ROOT: "/var/lib/pikaci",
    PIKACI_API_TOKEN: "0123456789abcdef",
    PIKACI_PUBLIC_URL: "https://ci.example.test/",
  };

  it("reads a valid environment, unescaping a one-line PEM", () => {
    const env = loadAppEnv(good);
    expect(env).toMatchObject({
      appId: 12,
      port: 3000,
      publicUrl: "https://ci.example.test",
      writeThrottle: true,
    });
    expect(env.privateKey).toContain("\n");
  });

  it.each(["APP_ID", "WEBHOOK_SECRET", "PIKACI_STATE_ROOT", "PIKACI_API_TOKEN", "PIKACI_PUBLIC_URL"])(
    "names a missing %s",
    (name) => {
      const env: Record<string, string> = { ...good };
      delete env[name];
      expect(() => loadAppEnv(env)).toThrow(new RegExp(`${name} is missing`));
    },
  );

  it("names a missing private key", () => {
    const { PRIVATE_KEY: _, ...rest } = good;
    expect(() => loadAppEnv(rest)).toThrow(/PRIVATE_KEY is missing/);
    expect(() => loadAppEnv({ ...rest, PRIVATE_KEY_PATH: "/nonexistent/key.pem" })).toThrow(
      /PRIVATE_KEY_PATH/,
    );
  });
});

describe("octokit throttling", () => {
  it("keys the write limiter by installation, or turns it off for a stand-in", () => {
    const base = { throttle: { onRateLimit: "handler" }, auth: { installationId: 77 } };
    expect(withThrottle(base, true).throttle).toEqual({
      onRateLimit: "handler",
      id: "pikaci-installation-77",
    });
    expect(withThrottle({ auth: {} }, true).throttle).toEqual({ id: "pikaci-app" });
    expect(withThrottle(base, false).throttle).toEqual({ onRateLimit: "handler", enabled: false });
  });
});

describe("mapLimit", () => {
  it("keeps order, bounds concurrency and rejects with the first error", async () => {
    let inFlight = 0;
    let peak = 0;
    const out = await mapLimit([5, 1, 3, 2, 4], 2, async (n) => {
      inFlight++;
      peak = Math.max(peak, inFlight);
      await new Promise((r) => setTimeout(r, n));
      inFlight--;
      return n * 10;
    });
    expect(out).toEqual([50, 10, 30, 20, 40]);
    expect(peak).toBe(2);
    await expect(mapLimit([1, 2], 2, async (n) => Promise.reject(new Error(`e${n}`)))).rejects.toThrow("e1");
  });
});
