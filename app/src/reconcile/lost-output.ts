import type { CheckRunOutput } from "../../../src/github/checks.js";
import type { WorkflowState } from "./select.js";

/** The output of a lane the reconciler concludes: what was lost, and what to do. Pure. */
export function lostOutput(p: {
  state: WorkflowState;
  ageSecs: number;
  workflowUrl: string | null;
}): CheckRunOutput {
  const minutes = Math.round(p.ageSecs / 60);
  const what: Record<WorkflowState, string> = {
    finished: "Lost: the workflow run ended without concluding this lane",
    missing: "Lost: the workflow run for this lane no longer exists",
    "never-dispatched": "Lost: this lane's workflow was never dispatched",
    running: "Still running",
  };
  return {
    title: what[p.state],
    summary: [
      `This lane was still queued or in progress after ${minutes} min, longer than its timeout plus the grace period, and nothing was going to conclude it${p.workflowUrl ? ` (workflow run: ${p.workflowUrl})` : ""}.`,
      "",
      "It was concluded by pikaci's reconciler, so a required check does not wait forever.",
      "",
      "**Fix:** press **Re-run failed**. If it happens again, open the workflow run's log: the job probably died before the pikaci step concluded its lanes (a missed `workflow_run` delivery, a cancelled or deleted run, or an App restart while dispatching).",
    ].join("\n"),
  };
}
