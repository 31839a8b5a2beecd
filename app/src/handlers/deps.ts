import type { Claims } from "../claims.js";
import type { DispatchStore } from "../dispatch-store.js";
import type { GitHubPort } from "../github-port.js";
import type { Log } from "../launch.js";
import type { RestFactory } from "../rest/factory.js";

/** What every handler needs besides the event: a narrow object, built once at start. */
export interface AppDeps {
  appId: number;
  /** The run page's URL for a run: the check runs' `details_url` (a signed capability link). */
  detailsUrl: (runId: string) => string;
  store: DispatchStore;
  /** Exactly-once across replicas: each delivery is handled by the one replica that claims it. */
  claims: Claims;
  newRunId: () => string;
  /**
   * The lean REST client for a delivery's per-event calls (see rest/client.ts); absent, every call
   * goes through the delivery's Octokit.
   */
  rest?: RestFactory;
  /**
   * Store a finished workflow run's `pikaci-<run_id>` artifact in the App's state root, so its run
   * page works. Never throws (a corrupt artifact is logged and skipped); absent in handler tests.
   */
  ingest?: (params: {
    octokit: IngestOctokit;
    owner: string;
    repo: string;
    workflowRunId: number;
  }) => Promise<void>;
}

/** The part of an installation octokit that ingest uses. */
export type IngestOctokit = {
  rest: {
    actions: unknown;
    /** For relabelling a check run whose failures turn out to be known flaky tests. */
    checks?: {
      update(params: {
        owner: string;
        repo: string;
        check_run_id: number;
        output: { title: string; summary: string; text?: string };
      }): Promise<unknown>;
    };
  };
};

/** One delivery's view: the repository it concerns and the GitHub calls scoped to it. */
export interface EventScope {
  port: GitHubPort;
  log: Log;
  /** `owner/name` */
  repository: string;
  defaultBranch: string;
}
