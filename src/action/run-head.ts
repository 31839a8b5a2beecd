import { UsageError } from "../errors/index.js";
import type { ActionContext } from "./context.js";
import type { ActionInputs } from "./inputs.js";

/** The workflow expression for the dispatched commit, as a user writes it. */
const HEAD_SHA_INPUT = `\${{ inputs.head_sha }}`;

export interface RunHead {
  git_head: string;
  git_dirty?: boolean;
  pull_request?: number;
}

export interface CheckoutState {
  git_head?: string;
  git_dirty?: boolean;
}

/**
 * The commit the lanes really run on, for run.json. On `workflow_dispatch` GITHUB_SHA is the tip
 * of the ref the workflow was dispatched on (the default branch), not the pull request's head, so
 * the dispatched `head-sha` is recorded, and it must be what the job checked out: otherwise the
 * lanes would test one commit while the App's check runs report on another. Pure.
 */
export function resolveRunHead(p: {
  inputs: Pick<ActionInputs, "check-runs" | "head-sha" | "pull-request">;
  context: Pick<ActionContext, "headSha" | "pullRequest">;
  checkout: CheckoutState;
  warn: (message: string) => void;
}): RunHead {
  const { inputs, checkout } = p;
  const wanted = inputs["head-sha"];
  const pr = inputs["pull-request"] ?? p.context.pullRequest;
  const extra = {
    ...(checkout.git_dirty === undefined ? {} : { git_dirty: checkout.git_dirty }),
    ...(pr === undefined ? {} : { pull_request: pr }),
  };
  if (wanted) {
    if (checkout.git_head && checkout.git_head !== wanted) {
      throw new UsageError(
        `The checkout is at ${checkout.git_head}, but input 'head-sha' is ${wanted}: the lanes would run on another commit than the one their check runs report.`,
        {
          hint: `Check out the dispatched commit before the pikaci step: actions/checkout with \`ref: ${HEAD_SHA_INPUT}\`.`,
        },
      );
    }
    if (!checkout.git_head)
      p.warn(`Could not read the checkout's HEAD; recording head-sha ${wanted} without checking it.`);
    return { git_head: wanted, ...extra };
  }
  if (inputs["check-runs"]) {
    // Dispatched without head-sha (an older workflow): the checkout is the truth, never GITHUB_SHA.
    p.warn(
      `Input 'head-sha' is not set: pass \`head-sha: ${HEAD_SHA_INPUT}\` so the run records the commit the App dispatched.`,
    );
    return { git_head: checkout.git_head ?? p.context.headSha, ...extra };
  }
  return { git_head: p.context.headSha, ...extra };
}
