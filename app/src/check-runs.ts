import { resolveLanes } from "../../src/config/index.js";
import { selectLanes } from "../../src/plan/index.js";
import { approveAndRunAction } from "../../src/report/requested-actions.js";
import { DEFAULT_CONFIG_PATH, type LaneFilter, type PikaciConfig } from "../../src/schema/index.js";
import { encodeExternalId, type RunEvent } from "./external-id.js";
import type { NewCheckRun } from "./github-port.js";
import { actionRequiredOutput, type Listing, queuedOutput, skippedOutput } from "./outputs.js";

export interface PullRequestRef {
  /** 0 for a push or a merge group. */
  number: number;
  headSha: string;
  /** The head lives in another repository: nothing runs before a maintainer approves. */
  fork: boolean;
  /** Absent: a pull request. */
  event?: RunEvent;
}

export interface PlanCheckRunsParams {
  config: PikaciConfig;
  /** null when GitHub's listing limit was reached: every lane is selected and the summary says why. */
  changedFiles: string[] | null;
  /** Why `changedFiles` is null (default: the pull request is over GitHub's listing limit). */
  unlisted?: Exclude<Listing, "listed">;
  pr: PullRequestRef;
  runId: string;
  detailsUrl: string;
}

export interface CheckRunPlan {
  /** Selected lanes: `queued`, or `action_required` for a fork. */
  create: NewCheckRun[];
  /** Unselected lanes, created already concluded `skipped` (that satisfies a required check). */
  skipped: NewCheckRun[];
  selection: LaneFilter[];
}

/** Config + changed files + PR → the check runs to create. Pure. */
export function planCheckRuns({
  config,
  changedFiles,
  pr,
  runId,
  detailsUrl,
  unlisted = "over-limit",
}: PlanCheckRunsParams): CheckRunPlan {
  const selection = selectLanes({
    lanes: resolveLanes(config),
    changedFiles,
    configPath: DEFAULT_CONFIG_PATH,
  });
  const base = (lane: string) => ({
    name: lane,
    head_sha: pr.headSha,
    external_id: encodeExternalId({
      runId,
      lane,
      pr: pr.number,
      fork: pr.fork,
      ...(pr.event ? { event: pr.event } : {}),
    }),
    details_url: detailsUrl,
  });
  const listing: Listing = changedFiles === null ? unlisted : "listed";
  const create = selection
    .filter((f) => f.selected)
    .map(
      (f): NewCheckRun =>
        pr.fork
          ? {
              ...base(f.lane_id),
              status: "completed",
              conclusion: "action_required",
              output: actionRequiredOutput(f, listing),
              actions: [approveAndRunAction()],
            }
          : { ...base(f.lane_id), status: "queued", output: queuedOutput(f, listing) },
    );
  const skipped = selection
    .filter((f) => !f.selected)
    .map(
      (f): NewCheckRun => ({
        ...base(f.lane_id),
        status: "completed",
        conclusion: "skipped",
        output: skippedOutput(f, changedFiles ?? []),
      }),
    );
  return { create, skipped, selection };
}
