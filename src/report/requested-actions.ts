/**
 * Requested-action buttons on pikaci check runs. GitHub shows at most 3, only on completed
 * runs, with identifier ≤ 20, label ≤ 20 and description ≤ 40 characters — a longer one is a
 * 422 that leaves the check stuck, so the limits are checked here, once.
 *
 * The App answers `check_run.requested_action` for these identifiers; whoever concludes a
 * check run (the App or the Action) attaches them.
 */
export interface RequestedAction {
  label: string;
  identifier: string;
  description: string;
}

export const RERUN_FAILED_ID = "pikaci_rerun_failed";
export const APPROVE_RUN_ID = "pikaci_approve";

export const REQUESTED_ACTION_LIMITS = { max: 3, label: 20, identifier: 20, description: 40 } as const;

/** "Re-run failed": re-runs every failed or cancelled lane of the commit. Attach to failed lanes. */
export function rerunFailedAction(): RequestedAction {
  return checked({
    label: "Re-run failed",
    identifier: RERUN_FAILED_ID,
    description: "Re-run every failed or cancelled lane",
  });
}

/** "Approve and run": a maintainer lets a fork's lanes run on the build host. */
export function approveAndRunAction(): RequestedAction {
  return checked({
    label: "Approve and run",
    identifier: APPROVE_RUN_ID,
    description: "Run this fork's lanes (maintainers)",
  });
}

/** The actions for a concluded lane: "Re-run failed" when it failed, was cancelled or timed out. */
export function actionsForConclusion(conclusion: string): RequestedAction[] {
  return ["failure", "cancelled", "timed_out"].includes(conclusion) ? [rerunFailedAction()] : [];
}

function checked(action: RequestedAction): RequestedAction {
  const { label, identifier, description } = REQUESTED_ACTION_LIMITS;
  if (action.label.length > label || action.identifier.length > identifier) {
    throw new Error(`requested action ${action.identifier} exceeds GitHub's limits`);
  }
  if (action.description.length > description) {
    throw new Error(`requested action ${action.identifier} description exceeds ${description} characters`);
  }
  return action;
}
