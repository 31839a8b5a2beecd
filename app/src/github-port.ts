import type { CheckRunOutput, Conclusion } from "../../src/github/checks.js";
import type { RequestedAction } from "../../src/report/requested-actions.js";

/** The handful of GitHub calls the App makes, so handlers stay thin and tests count calls. */
export interface NewCheckRun {
  name: string;
  head_sha: string;
  external_id: string;
  details_url: string;
  status: "queued" | "completed";
  conclusion?: Conclusion;
  output: CheckRunOutput;
  actions?: RequestedAction[];
}

export interface CheckRunPatch {
  status: "completed";
  conclusion: Conclusion;
  output: CheckRunOutput;
  actions?: RequestedAction[];
}

/** What the App needs to know about an existing check run. */
export interface CheckRunInfo {
  id: number;
  name: string;
  head_sha: string;
  status: string;
  conclusion: string | null;
  external_id: string | null;
  app_id: number | null;
  /** ISO 8601; orders a lane's re-runs (see `newestPerLane`). */
  started_at: string | null;
}

/** A check run as GitHub's REST API returns it (the fields pikaci reads). */
export interface RawCheckRun {
  id: number;
  name: string;
  head_sha: string;
  status: string;
  conclusion?: string | null;
  external_id?: string | null;
  app?: { id: number } | null;
  started_at?: string | null;
}

export function toCheckRunInfo(r: RawCheckRun): CheckRunInfo {
  return {
    id: r.id,
    name: r.name,
    head_sha: r.head_sha,
    status: r.status,
    conclusion: r.conclusion ?? null,
    external_id: r.external_id ?? null,
    app_id: r.app?.id ?? null,
    started_at: r.started_at ?? null,
  };
}

export interface DispatchRequest {
  /** File name under .github/workflows, e.g. `pikaci.yml`. */
  workflow: string;
  ref: string;
  inputs: Record<string, string>;
}

export interface ChangedFiles {
  /** null when GitHub's listing limit was reached and the list is incomplete. */
  files: string[] | null;
}

/** Check runs created together: each one's id in order (null: not created), and why any was not. */
export interface CreatedCheckRuns {
  ids: (number | null)[];
  error: Error | null;
}

export interface GitHubPort {
  /** A file's text at `ref`, or null when it does not exist there. */
  readFile(path: string, ref: string): Promise<string | null>;
  listChangedFiles(pr: number, knownCount: number | null): Promise<ChangedFiles>;
  /**
   * Files changed from `base` to `head` (compare API). null files past GitHub's 300-file limit of
   * that listing, or when `base` is unknown to GitHub (force-pushed away).
   */
  compareFiles(base: string, head: string): Promise<ChangedFiles>;
  createCheckRun(run: NewCheckRun): Promise<number>;
  /** Several at once, in as few requests as the port can (absent: one `createCheckRun` each). */
  createCheckRuns?(runs: NewCheckRun[]): Promise<CreatedCheckRuns>;
  updateCheckRun(id: number, patch: CheckRunPatch): Promise<void>;
  /**
   * Every check run on `sha` created by this App, older re-runs included (`filter: all`): GitHub's
   * `latest` keeps one per name, which hides a lane of one pull request behind the same lane of
   * another with the same head. Handlers pick the newest per lane and pull request (`ownLanes`).
   */
  listOwnCheckRuns(sha: string): Promise<CheckRunInfo[]>;
  /** Returns the workflow run id when GitHub reports it (`return_run_details`). */
  dispatchWorkflow(request: DispatchRequest): Promise<{ workflowRunId: number | null }>;
  cancelWorkflowRun(id: number): Promise<void>;
  /** `admin`, `write`, `read` or `none` (maintain counts as write, triage as read). */
  permissionOf(login: string): Promise<string>;
}
