import { describe, expect, it } from "vitest";
import { resolveRunHead } from "../../../src/action/run-head.js";
import { describeError } from "../../../src/errors/index.js";

const PR_HEAD = "b".repeat(40);
// On workflow_dispatch GITHUB_SHA is the default branch's tip, never the PR head.
const DEFAULT_BRANCH_TIP = "d".repeat(40);
const context = { headSha: DEFAULT_BRANCH_TIP, pullRequest: undefined };
const dispatched = { "check-runs": { lint: 1 } };

describe("the commit a run records", () => {
  it("dispatched: records head-sha and the pull request, not GITHUB_SHA", () => {
    const head = resolveRunHead({
      inputs: { ...dispatched, "head-sha": PR_HEAD, "pull-request": 12 },
      context,
      checkout: { git_head: PR_HEAD, git_dirty: false },
      warn: () => {},
    });
    expect(head).toEqual({ git_head: PR_HEAD, git_dirty: false, pull_request: 12 });
  });

  it("dispatched: a checkout of another commit is an error that names the fix", () => {
    const run = () =>
      resolveRunHead({
        inputs: { ...dispatched, "head-sha": PR_HEAD },
        context,
        checkout: { git_head: DEFAULT_BRANCH_TIP },
        warn: () => {},
      });
    expect(run).toThrow(/checkout is at d{40}, but input 'head-sha' is b{40}/);
    try {
      run();
    } catch (error) {
      expect(describeError(error)).toContain(["ref: $", "{{ inputs.head_sha }}"].join(""));
    }
  });

  it("dispatched without head-sha (an older workflow): the checkout's HEAD, with a warning", () => {
    const warnings: string[] = [];
    const head = resolveRunHead({
      inputs: dispatched,
      context,
      checkout: { git_head: PR_HEAD },
      warn: (m) => warnings.push(m),
    });
    expect(head.git_head).toBe(PR_HEAD);
    expect(warnings[0]).toContain(["head-sha: $", "{{ inputs.head_sha }}"].join(""));
  });

  it("standalone pull_request: the PR head from the event", () => {
    const head = resolveRunHead({
      inputs: {},
      context: { headSha: PR_HEAD, pullRequest: 7 },
      checkout: { git_head: "e".repeat(40) },
      warn: () => {},
    });
    expect(head).toEqual({ git_head: PR_HEAD, pull_request: 7 });
  });
});
