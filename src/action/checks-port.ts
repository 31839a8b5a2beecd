import type { CheckRunOutput, Conclusion } from "../github/checks.js";
import type { RequestedAction } from "../report/requested-actions.js";

export interface CheckRunUpdate {
  status?: "queued" | "in_progress" | "completed";
  conclusion?: Conclusion;
  started_at?: string;
  completed_at?: string;
  details_url?: string;
  external_id?: string;
  output?: CheckRunOutput;
  actions?: RequestedAction[];
}

export interface CheckRunCreate extends CheckRunUpdate {
  name: string;
  head_sha: string;
}

/** What GitHub says a check run is now (every Checks API answer carries it). */
export interface CheckRunState {
  status: string;
  conclusion: string | null;
}

export interface CheckRunRef extends Partial<CheckRunState> {
  id: number;
  html_url: string | null;
}

/** The Checks API calls the action makes; the Octokit one talks to GitHub, tests use a recording fake. */
export interface ChecksPort {
  create(params: CheckRunCreate): Promise<CheckRunRef>;
  update(id: number, params: CheckRunUpdate): Promise<CheckRunRef>;
  /** Read a check run: someone else (the App superseding a head) may have concluded it. */
  get(id: number): Promise<CheckRunRef & CheckRunState>;
}
