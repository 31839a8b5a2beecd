import { readFile } from "node:fs/promises";
import path from "node:path";
import { describeError } from "../errors/index.js";
import { OVER_LIMIT_NOTE } from "../github/changed-files.js";
import { laneLines } from "../report/config-lines.js";
import { renderJobSummary } from "../report/job-summary.js";
import { conclusionFor } from "../report/title.js";
import { planRun } from "../run/prepare.js";
import type { PikaciConfig } from "../schema/index.js";
import type { ArtifactPort } from "./artifacts.js";
import { type CheckReporter, createCheckReporter, type ReporterLog } from "./check-reporter.js";
import { adoptCheckRuns, createCheckRuns } from "./check-runs.js";
import type { ChecksPort } from "./checks-port.js";
import { type ConcludeContext, repoRelative } from "./conclude-lane.js";
import type { ActionContext } from "./context.js";
import type { EnginePort } from "./engine-port.js";
import type { ActionInputs } from "./inputs.js";
import { workspaceResolver } from "./lane-files.js";
import { type CheckoutState, resolveRunHead } from "./run-head.js";
import { type RunOutcome, runWithChecks } from "./run-with-checks.js";
import type { Clock } from "./throttle.js";
import { uploadRecords } from "./upload.js";

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

/**
 * The lanes to run: the `lanes` input (or every lane), only those the App dispatched, less those
 * whose check run was concluded elsewhere. undefined: every lane. Unknown ids are the plan's to refuse.
 */
function laneIdsFor(inputs: ActionInputs, config: PikaciConfig, elsewhere: ReadonlySet<string>) {
  const dispatched = inputs["check-runs"];
  if (!dispatched && elsewhere.size === 0) return inputs.lanes;
  const wanted = inputs.lanes ?? config.lanes.map((l) => l.id);
  // An id the config lacks stays in, so the plan refuses it by name instead of it vanishing.
  const known = (id: string) => config.lanes.some((lane) => lane.id === id);
  return wanted.filter((id) => (!dispatched || id in dispatched || !known(id)) && !elsewhere.has(id));
}

/**
 * The action's work, with every effect passed in: open or adopt one check run per lane, run the
 * lanes, conclude each check as its lane finishes, then write the job summary and upload the records.
 * It never leaves a check run it touched open, whatever fails.
 */
export async function main(params: MainParams): Promise<MainResult> {
  const { inputs, context, engine, log, signal } = params;
  const runId = inputs["run-id"] ?? engine.newRunId();
  // Dispatched check runs already carry the App's signed run-page link; only an explicit input
  // replaces it. Standalone check runs link to the given page or else the workflow run.
  const detailsUrl = inputs["details-url"] ?? (inputs["check-runs"] ? undefined : context.runUrl);
  const reporter = createCheckReporter({
    checks: params.checks,
    log,
    secrets: params.secrets,
    ...(detailsUrl ? { detailsUrl } : {}),
    ...(params.intervalMs === undefined ? {} : { intervalMs: params.intervalMs }),
    ...(params.clock ? { clock: params.clock } : {}),
  });
  let outcome: RunOutcome = {};
  // From the cancel on: no progress, and the App's check runs are read once, all at once.
  const onCancel = () => reporter.cancel();
  try {
    // Adopt the App's check runs first, so even a config error below closes them.
    adoptCheckRuns(reporter, inputs);
    if (signal.aborted) onCancel();
    else signal.addEventListener("abort", onCancel, { once: true });
    outcome = await startRun({ params, runId, detailsUrl, reporter });
  } catch (error) {
    const failure = describeError(error);
    outcome = { failure };
    log.error(failure);
  } finally {
    signal.removeEventListener("abort", onCancel);
    await reporter.finish(
      signal.aborted
        ? "the job was cancelled"
        : (outcome.failure ?? "the run ended before this lane was reported"),
      signal.aborted ? "cancelled" : "failure",
    );
  }
  return report({ params, runId, reporter, outcome });
}

/** Read what the run needs (all at once), plan it, open the check runs, and run it. */
async function startRun(p: {
  params: MainParams;
  runId: string;
  detailsUrl: string | undefined;
  reporter: CheckReporter;
}): Promise<RunOutcome> {
  const { params, reporter } = p;
  const { inputs, context, engine, log } = params;
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
  const laneIds = laneIdsFor(inputs, config, concludedElsewhere);
  const head = resolveRunHead({ inputs, context, checkout, warn: (m) => log.warning(m) });
  const planned = planRun({
    config,
    configPath: inputs.config,
    ...(laneIds === undefined ? {} : { laneIds }),
    changedFiles: changedFiles.files,
    executor: engine.executorKind,
    runId: p.runId,
  });
  const lanes = planned.plan.selection.map((s) => s.lane_id);
  if (!inputs["check-runs"])
    await createCheckRuns({ ...p, checks: params.checks, lanes, context, log, note: changedFiles.note });
  if (lanes.length === 0 && concludedElsewhere.size > 0) {
    log.info("Every lane's check run was already concluded elsewhere; nothing to run.");
    return {};
  }
  const ctx = concludeContext({
    params,
    configAbs,
    configText,
    detailsUrl: p.detailsUrl,
    note: changedFiles.note,
  });
  return runWithChecks({ params, planned, config, head, reporter, ctx });
}

function concludeContext(p: {
  params: MainParams;
  configAbs: string;
  configText: string;
  detailsUrl: string | undefined;
  note: string | undefined;
}): ConcludeContext {
  const { context, inputs } = p.params;
  return {
    workspace: context.workspace,
    configPath: repoRelative(context.workspace, p.configAbs),
    laneLines: laneLines(p.configText),
    guestRoots: p.params.guestRoots ?? [],
    secrets: p.params.secrets,
    runUrl: context.runUrl,
    ...(p.detailsUrl ? { testsUrl: p.detailsUrl } : {}),
    offerActions: inputs["check-runs"] !== undefined,
    resolvePath: workspaceResolver(context.workspace),
    ...(p.note ? { selectionNote: p.note } : {}),
  };
}

/** The job summary, the uploaded records, and the action's result. */
async function report(p: {
  params: MainParams;
  runId: string;
  reporter: CheckReporter;
  outcome: RunOutcome;
}): Promise<MainResult> {
  const { params, runId } = p;
  const { record, plan, failure } = p.outcome;
  const runDir = params.engine.layout.runDir(runId);
  if (record) {
    await params
      .writeSummary(renderJobSummary({ run: record, checkUrls: p.reporter.htmlUrls() }))
      .catch((e) => params.log.warning(`Could not write the job summary: ${describeError(e)}`));
    await uploadRecords({ ...params, runId, runDir, record, plan });
  }
  const failedLanes = (record?.jobs ?? [])
    .filter((j) => !["success", "skipped"].includes(conclusionFor(j)))
    .map((j) => j.lane_id);
  const conclusion = params.signal.aborted
    ? "cancelled"
    : failure !== undefined || !record || failedLanes.length > 0
      ? "failure"
      : "success";
  const runJsonPath = record ? params.engine.layout.runFile(runId) : undefined;
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
