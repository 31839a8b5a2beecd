import { readFile } from "node:fs/promises";
import path from "node:path";
import { describeError, UsageError } from "../errors/index.js";
import { OVER_LIMIT_NOTE } from "../github/changed-files.js";
import { laneLines } from "../report/config-lines.js";
import { renderJobSummary } from "../report/job-summary.js";
import { conclusionFor } from "../report/title.js";
import {
  DEFAULT_TIMEOUT_SECS,
  type JobRecord,
  type PikaciConfig,
  type PlanRecord,
  parseDurationSecs,
  type RunEvent,
  type RunRecord,
} from "../schema/index.js";
import { type ArtifactPort, stageArtifact } from "./artifacts.js";
import { cancelledRecordFromDisk, cancelledRecordFromPlan, settleWithin } from "./cancel-window.js";
import { type CheckReporter, createCheckReporter, type ReporterLog } from "./check-reporter.js";
import type { ChecksPort } from "./checks-port.js";
import { buildLaneConclusion, type ConcludeContext, repoRelative } from "./conclude-lane.js";
import type { ActionContext } from "./context.js";
import type { EnginePort } from "./engine-port.js";
import type { ActionInputs } from "./inputs.js";
import { workspaceResolver } from "./lane-files.js";
import { type CheckoutState, type RunHead, resolveRunHead } from "./run-head.js";
import type { Clock } from "./throttle.js";

export interface MainParams {
  inputs: ActionInputs;
  context: ActionContext;
  checks: ChecksPort;
  artifacts: ArtifactPort;
  engine: EnginePort;
  log: ReporterLog & { error(message: string): void };
  writeSummary(markdown: string): Promise<void>;
  /** Files changed by the pull request (standalone mode); null past GitHub's listing cap. */
  changedFiles?: () => Promise<string[] | null>;
  /** HEAD of the checkout the lanes run on (and whether it is dirty); {} outside a git work tree. */
  readCheckout?: () => Promise<CheckoutState>;
  /** How long after a cancel the engine may take to hand back its record (see CANCEL_GRACE_MS). */
  cancelGraceMs?: number;
  secrets: readonly string[];
  signal: AbortSignal;
  /** Where the guest sees the workspace (absolute paths in its output are made relative to this). */
  guestRoots?: readonly string[];
  intervalMs?: number;
  clock?: Clock;
}

export interface MainResult {
  runId: string;
  conclusion: "success" | "failure" | "cancelled";
  runJsonPath: string | undefined;
  failedLanes: string[];
}

function selectLanes(config: PikaciConfig, inputs: ActionInputs): string[] {
  const known = new Set(config.lanes.map((l) => l.id));
  const wanted = inputs.lanes ?? config.lanes.map((l) => l.id);
  const unknown = wanted.filter((id) => !known.has(id));
  if (unknown.length > 0) {
    throw new UsageError(`Input 'lanes' names lanes not in ${inputs.config}: ${unknown.join(", ")}.`, {
      hint: `Use lane ids from ${inputs.config}: ${[...known].join(", ")}.`,
    });
  }
  const dispatched = inputs["check-runs"];
  return dispatched ? wanted.filter((id) => id in dispatched) : wanted;
}

/**
 * The action's work, with every effect passed in: open or adopt one check run per lane, run the
 * lanes, conclude each check as its lane finishes, then write the job summary and upload the records.
 * It never leaves a check run it touched open, whatever fails.
 */
export async function main(params: MainParams): Promise<MainResult> {
  const { inputs, context, engine, log, secrets, signal } = params;
  const runId = inputs["run-id"] ?? engine.newRunId();
  // Dispatched check runs already carry the App's signed run-page link; only an explicit input
  // replaces it. Standalone check runs link to the given page or else the workflow run.
  const detailsUrl = inputs["details-url"] ?? (inputs["check-runs"] ? undefined : context.runUrl);
  const reporter = createCheckReporter({
    checks: params.checks,
    log,
    secrets,
    ...(detailsUrl ? { detailsUrl } : {}),
    ...(params.intervalMs === undefined ? {} : { intervalMs: params.intervalMs }),
    ...(params.clock ? { clock: params.clock } : {}),
  });
  let record: RunRecord | undefined;
  let plan: PlanRecord | undefined;
  let failure: string | undefined;
  const runDir = engine.runDir(runId);
  // From the cancel on: no progress, and the App's check runs are read once, all at once.
  const onCancel = () => reporter.cancel();
  try {
    // Adopt the App's check runs first, so even a config error below closes them.
    for (const [laneId, id] of Object.entries(inputs["check-runs"] ?? {}))
      reporter.track(laneId, id, undefined, true);
    if (signal.aborted) onCancel();
    else signal.addEventListener("abort", onCancel, { once: true });
    const configAbs = path.resolve(context.workspace, inputs.config);
    // Independent reads at once: a job cancelled at start-up has seconds left in all.
    const [elsewhere, config, checkout, changedFiles, configText] = await Promise.all([
      reporter.readAdopted(),
      engine.loadConfig(configAbs),
      params.readCheckout?.() ?? {},
      listChanged(params),
      readFile(configAbs, "utf8").catch(() => ""),
    ]);
    const concludedElsewhere = new Set(elsewhere);
    const lanes = selectLanes(config, inputs).filter((id) => !concludedElsewhere.has(id));
    const head = resolveRunHead({ inputs, context, checkout, warn: (m) => log.warning(m) });
    const ctx: ConcludeContext = {
      workspace: context.workspace,
      configPath: repoRelative(context.workspace, configAbs),
      laneLines: laneLines(configText),
      guestRoots: params.guestRoots ?? [],
      secrets,
      runUrl: context.runUrl,
      ...(detailsUrl ? { testsUrl: detailsUrl } : {}),
      offerActions: inputs["check-runs"] !== undefined,
      resolvePath: workspaceResolver(context.workspace),
      ...(changedFiles.note ? { selectionNote: changedFiles.note } : {}),
    };
    if (!inputs["check-runs"])
      await createCheckRuns({
        reporter,
        checks: params.checks,
        lanes,
        context,
        runId,
        detailsUrl,
        log,
        note: changedFiles.note,
      });
    if (lanes.length === 0 && concludedElsewhere.size > 0) {
      log.info("Every lane's check run was already concluded elsewhere; nothing to run.");
    } else {
      const ran = await runEngine({
        params,
        config,
        runId,
        runDir,
        lanes,
        head,
        changedFiles,
        reporter,
        ctx,
      });
      ({ record, plan, failure } = ran);
    }
  } catch (error) {
    failure ??= describeError(error);
    log.error(failure);
  } finally {
    signal.removeEventListener("abort", onCancel);
    await reporter.finish(
      signal.aborted ? "the job was cancelled" : (failure ?? "the run ended before this lane was reported"),
      signal.aborted ? "cancelled" : "failure",
    );
  }
  const runJsonPath = record ? path.join(runDir, "run.json") : undefined;
  if (record) {
    await params
      .writeSummary(renderJobSummary({ run: record, checkUrls: reporter.htmlUrls() }))
      .catch((e) => log.warning(`Could not write the job summary: ${describeError(e)}`));
    await uploadRecords({ params, runId, runDir, record, plan });
  }
  const failedLanes = (record?.jobs ?? [])
    .filter((j) => !["success", "skipped"].includes(conclusionFor(j)))
    .map((j) => j.lane_id);
  const conclusion = signal.aborted
    ? "cancelled"
    : failure !== undefined || !record || failedLanes.length > 0
      ? "failure"
      : "success";
  return { runId, conclusion, runJsonPath, failedLanes };
}

/** The pull request's changed files (standalone mode); past GitHub's cap every lane runs, and says why. */
async function listChanged(params: MainParams): Promise<{ files: string[] | null; note?: string }> {
  if (params.inputs["check-runs"] || !params.changedFiles) return { files: null };
  try {
    const files = await params.changedFiles();
    if (files !== null) return { files };
    params.log.warning(OVER_LIMIT_NOTE);
    return { files: null, note: OVER_LIMIT_NOTE };
  } catch (error) {
    params.log.warning(
      `Could not list the pull request's changed files, so every lane runs: ${describeError(error)}`,
    );
    return { files: null };
  }
}

/**
 * Run the lanes, concluding each check as its lane finishes. After a cancel the engine gets
 * `cancelGraceMs` to hand back its record; then the record on disk, closed as cancelled, stands
 * in for it, so checks are concluded and the artifact uploaded inside the runner's window.
 */
async function runEngine(p: {
  params: MainParams;
  config: PikaciConfig;
  runId: string;
  runDir: string;
  lanes: string[];
  head: RunHead;
  changedFiles: { files: string[] | null };
  reporter: CheckReporter;
  ctx: ConcludeContext;
}): Promise<{ record: RunRecord | undefined; plan?: PlanRecord; failure: string | undefined }> {
  const { params, config, runDir, reporter, ctx } = p;
  const { signal, log, engine } = params;
  const fromPlan = () =>
    cancelledRecordFromPlan({
      config,
      configPath: params.inputs.config,
      runId: p.runId,
      laneIds: p.lanes,
      changedFiles: p.changedFiles.files,
      executor: engine.executorKind,
      meta: p.head,
      runDir,
      at: new Date(),
    });
  if (signal.aborted) {
    // Nothing has touched the build host yet, and nothing will.
    log.warning("Cancelled before the lanes started.");
    const planned = fromPlan();
    await concludeRemaining({ record: planned.record, runDir, reporter, ctx });
    return { ...planned, failure: undefined };
  }
  const concluding: Promise<void>[] = [];
  const onEvent = (event: RunEvent) => {
    reporter.handle(event);
    if (event.type === "job_finished") {
      concluding.push(
        concludeFinished({
          event,
          config,
          runDir,
          reporter,
          ctx,
          log,
          executorKind: engine.executorKind,
          signal,
        }),
      );
    }
  };
  const running = engine.runLanes({
    config,
    configPath: params.inputs.config,
    runId: p.runId,
    laneIds: p.lanes,
    changedFiles: p.changedFiles.files,
    onEvent,
    signal,
    meta: p.head,
  });
  const outcome = await settleWithin(running, signal, params.cancelGraceMs);
  let record: RunRecord | undefined;
  let plan: PlanRecord | undefined;
  let failure: string | undefined;
  if (outcome.kind === "done") record = outcome.value;
  else if (outcome.kind === "failed") {
    failure = describeError(outcome.error);
    log.error(`pikaci run failed: ${failure}`);
  } else {
    log.warning("Cancelled: the build host is still cleaning up; concluding from the record so far.");
    record = await cancelledRecordFromDisk(runDir, new Date());
    if (!record) {
      const planned = fromPlan();
      record = planned.record;
      plan = planned.plan;
    }
  }
  const waited = await settleWithin(Promise.all(concluding), signal, params.cancelGraceMs);
  if (waited.kind === "detached") log.warning("Cancelled: not waiting for the lanes' full reports.");
  if (record) await concludeRemaining({ record, runDir, reporter, ctx });
  return { record, ...(plan ? { plan } : {}), failure };
}

async function createCheckRuns(p: {
  reporter: CheckReporter;
  checks: ChecksPort;
  lanes: string[];
  context: ActionContext;
  runId: string;
  detailsUrl: string | undefined;
  log: ReporterLog;
  note: string | undefined;
}): Promise<void> {
  const note = p.note ? `${p.note}\n\n` : "";
  for (const laneId of p.lanes) {
    try {
      const ref = await p.checks.create({
        name: laneId,
        head_sha: p.context.headSha,
        status: "queued",
        external_id: p.runId,
        ...(p.detailsUrl ? { details_url: p.detailsUrl } : {}),
        output: { title: "Queued", summary: `${note}Lane \`${laneId}\` is waiting for a build slot.` },
      });
      p.reporter.track(laneId, ref.id, ref.html_url);
    } catch (error) {
      p.log.warning(`Could not create a check run for lane ${laneId}: ${describeError(error)}`);
    }
  }
}

/** A lane finished: conclude its check run now, not when the slowest lane is done. */
async function concludeFinished(p: {
  event: Extract<RunEvent, { type: "job_finished" }>;
  config: PikaciConfig;
  runDir: string;
  reporter: CheckReporter;
  ctx: ConcludeContext;
  log: ReporterLog;
  executorKind: "local" | "incus";
  signal: AbortSignal;
}): Promise<void> {
  const { event, reporter } = p;
  // After a cancel there is no time to wait for the engine's record to catch up.
  const live = await readLiveJob(p.runDir, event.job_id, event.status, p.signal.aborted ? 1 : 20);
  const lane = p.config.lanes.find((l) => l.id === event.job_id);
  const timeout = lane?.timeout ?? p.config.defaults?.timeout;
  const jobDir = path.join(p.runDir, "jobs", event.job_id);
  const job = live
    ? live
    : {
        id: event.job_id,
        lane_id: event.job_id,
        status: event.status,
        failure_kind: event.failure_kind,
        exit_code: event.exit_code,
        duration_ms: event.duration_ms,
        timeout_secs:
          (timeout === undefined ? undefined : parseDurationSecs(timeout)) ?? DEFAULT_TIMEOUT_SECS,
        message: event.message,
        phases: reporter.phasesOf(event.job_id),
        executor: p.executorKind,
        host_log_path: path.join(jobDir, "host.log"),
        guest_log_path: path.join(jobDir, "guest.log"),
      };
  try {
    await reporter.conclude(job.lane_id, await buildLaneConclusion(resolveLogs(job, p.runDir), p.ctx));
  } catch (error) {
    p.log.warning(`Could not build the report of lane ${job.lane_id}: ${describeError(error)}`);
  }
}

/**
 * The job's record from the live run.json, which has every attempt and phase. The engine writes it
 * asynchronously, so it may lag the event by a moment; undefined if it has not caught up.
 */
async function readLiveJob(
  runDir: string,
  jobId: string,
  status: string,
  attempts: number,
): Promise<JobRecord | undefined> {
  for (let i = 0; i < attempts; i++) {
    try {
      const run = JSON.parse(await readFile(path.join(runDir, "run.json"), "utf8")) as RunRecord;
      const job = run.jobs.find((j) => j.id === jobId);
      if (job?.status === status && job.finished_at) return job;
    } catch {
      // Not written yet, or replaced mid-read: try again.
    }
    if (i + 1 < attempts) await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return undefined;
}

/** Log paths in records may be relative to the run directory. */
function resolveLogs<T extends { host_log_path: string | null; guest_log_path: string | null }>(
  job: T,
  runDir: string,
): T {
  const abs = (p: string | null) => (p === null || path.isAbsolute(p) ? p : path.join(runDir, p));
  return { ...job, host_log_path: abs(job.host_log_path), guest_log_path: abs(job.guest_log_path) };
}

/** Lanes the engine never announced as finished (skipped, or not run): conclude them from run.json. */
async function concludeRemaining(p: {
  record: RunRecord;
  runDir: string;
  reporter: CheckReporter;
  ctx: ConcludeContext;
}): Promise<void> {
  const { record, reporter } = p;
  // All at once: after a cancel every lane lands here, with seconds left.
  await Promise.all(
    record.jobs
      .filter((job) => !reporter.isConcluded(job.lane_id))
      .map(async (job) =>
        reporter.conclude(job.lane_id, await buildLaneConclusion(resolveLogs(job, p.runDir), p.ctx)),
      ),
  );
  await Promise.all(
    reporter
      .tracked()
      .filter((laneId) => !reporter.isConcluded(laneId))
      .map((laneId) => {
        const filter = record.filters.find((f) => f.lane_id === laneId);
        const title =
          filter && !filter.selected ? `Skipped: ${filter.reason}` : "Skipped: not part of this run";
        return reporter.conclude(laneId, { conclusion: "skipped", output: { title, summary: title } });
      }),
  );
}

async function uploadRecords(p: {
  params: MainParams;
  runId: string;
  runDir: string;
  record: RunRecord;
  plan: PlanRecord | undefined;
}): Promise<void> {
  const { params, runId, runDir } = p;
  try {
    const stagingDir = path.join(params.context.runnerTemp, `pikaci-artifact-${runId}`);
    // The record as concluded: after a cancel the engine's run.json on disk may not be terminal yet.
    const files = await stageArtifact({
      runDir,
      stagingDir,
      secrets: params.secrets,
      record: p.record,
      ...(p.plan ? { plan: p.plan } : {}),
    });
    const name = params.inputs["artifact-name"] ?? `pikaci-${runId}`;
    const retention = params.inputs["retention-days"];
    await params.artifacts.upload({
      name,
      files,
      rootDirectory: stagingDir,
      ...(retention === undefined ? {} : { retentionDays: retention }),
    });
    params.log.info(`Uploaded artifact ${name} (${files.length} files).`);
  } catch (error) {
    params.log.warning(`Could not upload the run's records as an artifact: ${describeError(error)}`);
  }
}
