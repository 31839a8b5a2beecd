import { describeError } from "../errors/index.js";
import type { PlannedRun } from "../run/prepare.js";
import type { PikaciConfig, PlanRecord, RunEvent, RunRecord } from "../schema/index.js";
import { LiveRecord, settleWithin } from "./cancel-window.js";
import type { CheckReporter } from "./check-reporter.js";
import type { ConcludeContext } from "./conclude-lane.js";
import { concludeFinished, concludeRemaining } from "./concluding.js";
import type { MainParams } from "./main.js";
import type { RunHead } from "./run-head.js";

export interface RunOutcome {
  record?: RunRecord;
  plan?: PlanRecord;
  failure?: string;
}

export interface RunWithChecks {
  params: Pick<MainParams, "engine" | "signal" | "log" | "cancelGraceMs">;
  planned: PlannedRun;
  config: PikaciConfig;
  head: RunHead;
  reporter: CheckReporter;
  ctx: ConcludeContext;
}

/**
 * Run the lanes, concluding each check as its lane finishes, from the job record its
 * `job_finished` event carries. After a cancel the engine gets `cancelGraceMs` to hand back its
 * record; then the record folded from its events, closed as cancelled, stands in for it, so checks
 * are concluded and the artifact uploaded inside the runner's window.
 */
export async function runWithChecks(p: RunWithChecks): Promise<RunOutcome> {
  const { params, planned, reporter, ctx } = p;
  const { signal, log, engine } = params;
  const live = new LiveRecord({
    planned,
    executor: engine.executorKind,
    layout: engine.layout,
    meta: p.head,
  });
  if (signal.aborted) {
    // Nothing has touched the build host yet, and nothing will.
    log.warning("Cancelled before the lanes started.");
    const record = live.cancelled(new Date(), "cancelled before it started");
    await concludeRemaining({ record, reporter, ctx });
    return { record, plan: planned.plan };
  }
  const concluding: Promise<void>[] = [];
  const onEvent = (event: RunEvent) => {
    live.apply(event);
    reporter.handle(event);
    if (event.type === "job_finished")
      concluding.push(concludeFinished({ job: event.job, reporter, ctx, log }));
  };
  const running = engine.run({ planned, config: p.config, onEvent, signal, meta: p.head });
  const outcome = settled(await settleWithin(running, signal, params.cancelGraceMs), live, log);
  const waited = await settleWithin(Promise.all(concluding), signal, params.cancelGraceMs);
  if (waited.kind === "detached") log.warning("Cancelled: not waiting for the lanes' full reports.");
  if (outcome.record) await concludeRemaining({ record: outcome.record, reporter, ctx });
  return { ...outcome, plan: planned.plan };
}

function settled(
  outcome: Awaited<ReturnType<typeof settleWithin<RunRecord>>>,
  live: LiveRecord,
  log: MainParams["log"],
): RunOutcome {
  if (outcome.kind === "done") return { record: outcome.value };
  if (outcome.kind === "failed") {
    const failure = describeError(outcome.error);
    log.error(`pikaci run failed: ${failure}`);
    return { failure };
  }
  log.warning("Cancelled: the build host is still cleaning up; concluding from the record so far.");
  return { record: live.cancelled(new Date(), "cancelled; the action stopped waiting for the build host") };
}
