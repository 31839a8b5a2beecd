import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { createCheckReporter } from "../../../src/action/check-reporter.js";
import type { Annotation } from "../../../src/report/annotations.js";
import type { RunEvent } from "../../../src/schema/index.js";
import { recordingChecks } from "./fake-checks.js";

const at = () => new Date().toISOString();
const run_id = "20260324T162238Z-1a2b3c4d";
const started = (lane_id: string): RunEvent => ({
  type: "job_started",
  at: at(),
  run_id,
  lane_id,
  attempt: 1,
});
const logged = (lane_id: string, text: string): RunEvent => ({
  type: "job_log",
  at: at(),
  run_id,
  lane_id,
  stream: "guest",
  text,
});
const phase = (lane_id: string, state: "started" | "finished"): RunEvent => ({
  type: "job_phase",
  at: at(),
  run_id,
  lane_id,
  phase: "wait_for_completion",
  state,
  duration_ms: state === "finished" ? 1234 : null,
});

function setup(failWhen?: Parameters<typeof recordingChecks>[0]) {
  const fake = recordingChecks(failWhen);
  const warnings: string[] = [];
  const reporter = createCheckReporter({
    checks: fake.port,
    log: { info: () => {}, warning: (m) => warnings.push(m) },
    secrets: ["ghs_tok3n_value"],
    detailsUrl: "https://github.test/o/r/actions/runs/9",
  });
  reporter.track("lint", 11);
  return { ...fake, warnings, reporter };
}

describe("check reporter", () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it("marks in_progress at once, then sends at most one progress update per 10 s", async () => {
    const { reporter, updates } = setup();
    reporter.handle(started("lint"));
    await vi.advanceTimersByTimeAsync(0);
    expect(updates(11).map((u) => u.params.status)).toEqual(["in_progress"]);
    expect(updates(11)[0]!.params.details_url).toBe("https://github.test/o/r/actions/runs/9");

    reporter.handle(phase("lint", "started"));
    for (let i = 0; i < 50; i++)
      reporter.handle(logged("lint", `\u001b[1mline ${i}\u001b[0m token=ghs_tok3n_value\n`));
    await vi.advanceTimersByTimeAsync(9_000);
    expect(updates(11)).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(1_000);
    expect(updates(11)).toHaveLength(2);
    const progress = updates(11)[1]!.params.output!;
    expect(progress.title).toBe("Running: wait for completion (10s)");
    expect(progress.text).toContain("line 49 token=***");
    expect(progress.text).not.toContain("\u001b");
    expect(JSON.stringify(updates())).not.toContain("ghs_tok3n_value");
  });

  it("concludes with 120 annotations in 3 requests of at most 50, and no progress after it", async () => {
    const { reporter, updates } = setup();
    reporter.handle(started("lint"));
    reporter.handle(logged("lint", "x\n"));
    const annotations: Annotation[] = Array.from({ length: 120 }, (_, i) => ({
      path: `src/f${i}.ts`,
      start_line: i + 1,
      end_line: i + 1,
      annotation_level: "failure",
      message: `bad ${i}`,
    }));
    await reporter.conclude("lint", {
      conclusion: "failure",
      output: { title: "Failed (exit 2) in 3s", summary: "s", text: "t" },
      annotations,
      actions: [{ label: "Re-run failed", identifier: "pikaci_rerun_failed", description: "d" }],
    });
    reporter.handle(logged("lint", "late\n"));
    await vi.advanceTimersByTimeAsync(60_000);
    const all = updates(11);
    expect(all[0]!.params.status).toBe("in_progress");
    const after = all.slice(1);
    expect(after[0]!.params).toMatchObject({ status: "completed", conclusion: "failure" });
    expect(after[0]!.params.actions).toHaveLength(1);
    expect(after.map((u) => u.params.output?.annotations?.length)).toEqual([50, 50, 20]);
    expect(after.flatMap((u) => u.params.output!.annotations!.map((a) => a.path))).toEqual(
      annotations.map((a) => a.path),
    );
    expect(after.slice(1).every((u) => u.params.status === undefined)).toBe(true);
  });

  it("sends a minimal conclusion when the full one is refused, and logs the failure", async () => {
    const { reporter, updates, warnings } = setup(
      (c) =>
        c.kind === "update" && (c.params.output?.text?.length ?? 0) > 0 && c.params.status === "completed",
    );
    await reporter.conclude("lint", {
      conclusion: "failure",
      output: { title: "Failed", summary: "s", text: "t" },
    });
    expect(updates(11).map((u) => [u.params.status, u.params.conclusion, u.params.output?.text])).toEqual([
      ["completed", "failure", "t"],
      ["completed", "failure", undefined],
    ]);
    expect(warnings[0]).toContain("422 Validation Failed");
    await reporter.finish("unused");
    expect(updates(11)).toHaveLength(2);
  });

  it("closes every tracked check run that was never concluded", async () => {
    const { reporter, updates } = setup();
    reporter.track("test", 12);
    reporter.handle(started("test"));
    await reporter.conclude("lint", { conclusion: "success", output: { title: "Passed", summary: "s" } });
    await reporter.finish("build host unreachable");
    const last = updates(12).at(-1)!;
    expect(last.params).toMatchObject({ status: "completed", conclusion: "failure" });
    expect(last.params.output!.summary).toContain("build host unreachable");
    expect(updates(11)).toHaveLength(1);
  });

  it("retries closing in finish when every conclusion attempt failed", async () => {
    let failures = 2;
    const { reporter, updates, warnings } = setup((c) => c.kind === "update" && failures-- > 0);
    await reporter.conclude("lint", { conclusion: "success", output: { title: "Passed", summary: "s" } });
    await reporter.finish("GitHub refused the report");
    expect(updates(11).map((u) => u.params.conclusion)).toEqual(["success", "success", "failure"]);
    expect(warnings).toHaveLength(2);
  });
});

/** The App concluded a check run itself (a push superseded its head): GitHub keeps that conclusion. */
describe("check reporter and check runs concluded by someone else", () => {
  function adopted() {
    const fake = recordingChecks();
    const infos: string[] = [];
    const reporter = createCheckReporter({
      checks: fake.port,
      log: { info: (m) => infos.push(m), warning: () => {} },
      intervalMs: 10,
    });
    reporter.track("lint", 21, undefined, true);
    reporter.track("test", 22, undefined, true);
    return { ...fake, reporter, infos };
  }
  const cancelled = {
    conclusion: "cancelled" as const,
    output: { title: "Cancelled after 5.2s", summary: "x" },
  };

  it("reads an adopted check run before concluding it, and leaves a completed one alone", async () => {
    const { reporter, updates, concludeElsewhere, calls, infos } = adopted();
    reporter.handle(started("lint"));
    await new Promise((r) => setTimeout(r, 0));
    concludeElsewhere(21, "cancelled");
    await reporter.conclude("lint", cancelled);
    await reporter.conclude("test", cancelled);
    await reporter.finish("the job was cancelled", "cancelled");
    expect(updates(21).map((u) => u.params.status)).toEqual(["in_progress"]);
    expect(updates(22).map((u) => u.params.conclusion)).toEqual(["cancelled"]);
    expect(calls.filter((c) => c.kind === "get").map((c) => c.kind === "get" && c.id)).toEqual([21, 22]);
    expect(reporter.concludedElsewhere("lint")).toBe("cancelled");
    expect(infos.join("\n")).toContain("already concluded cancelled");
  });

  it("readAdopted finds check runs concluded before the job started; nothing is sent to them", async () => {
    const { reporter, updates, concludeElsewhere } = adopted();
    concludeElsewhere(22, "cancelled");
    expect(await reporter.readAdopted()).toEqual(["test"]);
    reporter.handle(started("test"));
    await reporter.finish("x");
    expect(updates(22)).toEqual([]);
    expect(updates(21).at(-1)!.params.status).toBe("completed");
  });

  it("stops sending once a progress update's answer shows the check run completed", async () => {
    const { reporter, updates, concludeElsewhere } = adopted();
    reporter.handle(started("lint"));
    await new Promise((r) => setTimeout(r, 0));
    concludeElsewhere(21, "cancelled");
    reporter.handle(logged("lint", "more\n"));
    await new Promise((r) => setTimeout(r, 30));
    const sent = updates(21).length;
    reporter.handle(logged("lint", "even more\n"));
    await new Promise((r) => setTimeout(r, 30));
    await reporter.conclude("lint", cancelled);
    await reporter.finish("x");
    expect(updates(21)).toHaveLength(sent);
    expect(updates(21).every((u) => u.params.status !== "completed")).toBe(true);
  });
});

describe("check reporter when GitHub answers slower than the progress interval", () => {
  function slow() {
    const fake = recordingChecks();
    const update = fake.port.update;
    fake.port.update = async (id, params) => {
      await new Promise((r) => setTimeout(r, 100));
      return update(id, params);
    };
    const reporter = createCheckReporter({
      checks: fake.port,
      log: { info: () => {}, warning: () => {} },
      intervalMs: 10,
    });
    reporter.track("lint", 31);
    return { ...fake, reporter };
  }

  it("keeps at most one progress update waiting, so updates do not pile up behind a slow API", async () => {
    const { reporter, updates } = slow();
    reporter.handle(started("lint"));
    for (let i = 0; i < 30; i++) {
      reporter.handle(logged("lint", `line ${i}\n`));
      await new Promise((r) => setTimeout(r, 10));
    }
    // The log stopped: the one in flight and the one waiting go out, then nothing more.
    await new Promise((r) => setTimeout(r, 350));
    const settled = updates(31).length;
    await new Promise((r) => setTimeout(r, 500));
    expect(updates(31)).toHaveLength(settled);
    expect(settled).toBeLessThanOrEqual(7);
  });

  it("sends no progress once the job is being cancelled", async () => {
    const { reporter, updates } = slow();
    reporter.handle(started("lint"));
    await new Promise((r) => setTimeout(r, 150));
    reporter.cancel();
    const before = updates(31).length;
    for (let i = 0; i < 10; i++) reporter.handle(logged("lint", `line ${i}\n`));
    await new Promise((r) => setTimeout(r, 300));
    expect(updates(31)).toHaveLength(before);
  });
});
