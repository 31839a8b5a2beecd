import { OVER_LIMIT_NOTE } from "../../src/github/changed-files.js";
import type { CheckRunOutput } from "../../src/github/checks.js";
import { truncateHead } from "../../src/report/bytes.js";
import { CHECK_OUTPUT_MAX_BYTES } from "../../src/report/limits.js";
import type { LaneFilter } from "../../src/schema/index.js";

/** Check-run outputs the App writes itself. Pure; the Action writes the results. */

/** How the changed files were known: listed, or not (then every lane is selected, and why is said). */
export type Listing = "listed" | "over-limit" | "push-over-limit" | "whole-commit";

const UNLISTED_NOTES: Record<Exclude<Listing, "listed">, string> = {
  "over-limit": OVER_LIMIT_NOTE,
  "push-over-limit":
    "GitHub's comparison lists at most 300 changed files and this push has more, so every lane was selected.",
  "whole-commit":
    "This push created the branch or rewrote its history, so there is no earlier commit to compare with and every lane was selected.",
};
const SHOWN_FILES = 20;

function selectionLine(filter: LaneFilter, listing: Listing): string {
  return listing === "listed" ? `Selected: ${filter.reason}.` : UNLISTED_NOTES[listing];
}

export function queuedOutput(filter: LaneFilter, listing: Listing): CheckRunOutput {
  return { title: "Queued", summary: `${selectionLine(filter, listing)}\n\nWaiting for the build host.` };
}

export function rerunOutput(
  previousConclusion: string | null,
  approvedBy: string | null = null,
): CheckRunOutput {
  if (approvedBy) {
    return { title: "Queued (approved)", summary: `Approved by @${approvedBy}. Waiting for the build host.` };
  }
  const was = previousConclusion ? ` (it was \`${previousConclusion}\`)` : "";
  return { title: "Queued (re-run)", summary: `Re-run requested${was}. Waiting for the build host.` };
}

export function actionRequiredOutput(filter: LaneFilter, listing: Listing): CheckRunOutput {
  return {
    title: "Waiting for a maintainer's approval",
    summary: [
      "This pull request comes from a fork, so its code does not run on the build host until someone",
      "with write access to this repository presses **Approve and run**.",
      "",
      selectionLine(filter, listing),
    ].join("\n"),
  };
}

export function skippedOutput(filter: LaneFilter, changedFiles: readonly string[]): CheckRunOutput {
  const globs = filter.paths.map((p) => `- \`${p}\``).join("\n");
  const shown = changedFiles.slice(0, SHOWN_FILES).map((f) => `- \`${f}\``);
  if (changedFiles.length > SHOWN_FILES) shown.push(`- … and ${changedFiles.length - SHOWN_FILES} more`);
  const summary = [
    `Skipped: ${filter.reason}.`,
    "",
    "Path filters that did not match:",
    globs,
    "",
    `Changed files (${changedFiles.length}):`,
    shown.length > 0 ? shown.join("\n") : "- (none)",
  ].join("\n");
  return { title: "Skipped: no matching changes", summary: truncateHead(summary, CHECK_OUTPUT_MAX_BYTES) };
}

export function supersededOutput(newSha: string): CheckRunOutput {
  return {
    title: `superseded by ${newSha.slice(0, 12)}`,
    summary: `A newer commit (${newSha}) was pushed to this pull request; this run was cancelled.`,
  };
}

export function closedOutput(pr: number): CheckRunOutput {
  return {
    title: `pull request #${pr} was closed`,
    summary: `Pull request #${pr} was closed without being merged; this run was cancelled. Reopening it runs the lanes again.`,
  };
}

export function failedToStartOutput(message: string, hint: string): CheckRunOutput {
  return {
    title: "Could not start",
    summary: truncateHead(`${message}\n\n**Fix:** ${hint}`, CHECK_OUTPUT_MAX_BYTES),
  };
}

export function abandonedOutput(workflowUrl: string, conclusion: string | null): CheckRunOutput {
  return {
    title: "The workflow ended without reporting this lane",
    summary: [
      `The workflow run ${workflowUrl} finished (${conclusion ?? "no conclusion"}) but never concluded this lane.`,
      "",
      "**Fix:** open the workflow run's log; the pikaci step probably failed before it started the lane.",
    ].join("\n"),
  };
}
