import { UsageError } from "../../src/errors/index.js";
import type { PikaciConfig } from "../../src/schema/index.js";

/**
 * The workflow_dispatch contract between the App and the Action. The workflow must declare
 * exactly these four string inputs; GitHub allows 25 inputs and a 64 KB payload.
 */
export interface DispatchInputs {
  run_id: string;
  head_sha: string;
  /** The pull request number; empty for a push or a merge group. */
  pr: string;
  /** JSON object: lane id → check run id. The Action updates exactly these check runs. */
  check_runs: string;
}

export const DISPATCH_PAYLOAD_MAX_BYTES = 64 * 1024 - 1;

export interface WorkflowTarget {
  /** A file name under .github/workflows. */
  workflow: string;
  ref: string;
}

export function buildDispatchInputs(params: {
  runId: string;
  headSha: string;
  pr: number;
  checkRuns: Record<string, number>;
}): Record<string, string> {
  const inputs: DispatchInputs = {
    run_id: params.runId,
    head_sha: params.headSha,
    pr: params.pr > 0 ? String(params.pr) : "",
    check_runs: JSON.stringify(params.checkRuns),
  };
  const bytes = Buffer.byteLength(JSON.stringify({ ref: "x".repeat(255), inputs }));
  if (bytes > DISPATCH_PAYLOAD_MAX_BYTES) {
    throw new UsageError(`the dispatch inputs are ${bytes} bytes; GitHub accepts under 64 KB`, {
      hint: "split the lanes across fewer, larger lanes (each lane adds its id and check run id)",
    });
  }
  return { ...inputs };
}

/** `workflow.file` and `workflow.ref` from the config; the ref defaults to the default branch. */
export function workflowTarget(
  config: Pick<PikaciConfig, "workflow"> | null,
  defaultBranch: string,
): WorkflowTarget {
  const file = config?.workflow?.file ?? "pikaci.yml";
  return {
    workflow: file.replace(/^\.github\/workflows\//, ""),
    ref: config?.workflow?.ref ?? defaultBranch,
  };
}

/** Turn a failed dispatch into a message and a fix a maintainer can act on. */
export function describeDispatchFailure(
  status: number | null,
  detail: string,
  target: WorkflowTarget,
): { message: string; hint: string } {
  const file = `.github/workflows/${target.workflow}`;
  switch (status) {
    case 404:
      return {
        message: `workflow file ${file} not found on ref ${target.ref}`,
        hint: `add it (see examples/) or set workflow.file / workflow.ref in .github/pikaci.yml`,
      };
    case 403:
      return {
        message: `the App may not dispatch workflows: ${detail}`,
        hint: "the app lacks actions: write — update the app's permissions and accept them on the installation",
      };
    case 422:
      return {
        message: `GitHub refused the dispatch of ${file} on ${target.ref}: ${detail}`,
        hint: "the workflow has no workflow_dispatch trigger with these inputs: declare run_id, head_sha, pr and check_runs",
      };
    default:
      return {
        message: `dispatching ${file} on ${target.ref} failed${status ? ` (HTTP ${status})` : ""}: ${detail}`,
        hint: "re-run the lanes with the Re-run failed button; if it keeps failing, check GitHub's status page",
      };
  }
}
