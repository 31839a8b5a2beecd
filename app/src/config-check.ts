import type { ConfigError, ConfigIssue } from "../../src/errors/index.js";
import type { Annotation } from "../../src/github/checks.js";
import { fitAnnotation } from "../../src/report/annotations.js";
import { truncateHead } from "../../src/report/bytes.js";
import { ANNOTATIONS_PER_REQUEST, CHECK_OUTPUT_MAX_BYTES } from "../../src/report/limits.js";
import { DEFAULT_CONFIG_PATH } from "../../src/schema/index.js";
import { CONFIG_CHECK_NAME, encodeExternalId, type RunEvent } from "./external-id.js";
import type { NewCheckRun } from "./github-port.js";

export interface ConfigCheckParams {
  error: ConfigError;
  headSha: string;
  runId: string;
  pr: number;
  fork: boolean;
  detailsUrl: string;
  /** Absent: a pull request. */
  event?: RunEvent;
}

/**
 * An invalid `.github/pikaci.yml` becomes a failed `pikaci/config` check with one annotation per
 * issue at its exact line and column, so the author sees the mistake in the diff. Pure.
 */
export function configFailureCheck({
  error,
  headSha,
  runId,
  pr,
  fork,
  detailsUrl,
  event,
}: ConfigCheckParams): NewCheckRun {
  const issues = error.issues;
  const listed = issues.map(
    (i) => `- line ${i.line}, column ${i.col}: ${i.message}${i.hint ? ` (${i.hint})` : ""}`,
  );
  const over = issues.length > ANNOTATIONS_PER_REQUEST;
  const summary = [
    `\`${DEFAULT_CONFIG_PATH}\` has ${issues.length} problem${issues.length === 1 ? "" : "s"}; no lane was started.`,
    "",
    ...listed,
    ...(over ? ["", `Only the first ${ANNOTATIONS_PER_REQUEST} are annotated in the diff.`] : []),
    "",
    "**Fix:** correct the file and push; the lanes are planned again for the new commit.",
  ].join("\n");
  return {
    name: CONFIG_CHECK_NAME,
    head_sha: headSha,
    external_id: encodeExternalId({ runId, lane: CONFIG_CHECK_NAME, pr, fork, ...(event ? { event } : {}) }),
    details_url: detailsUrl,
    status: "completed",
    conclusion: "failure",
    output: {
      title: `${DEFAULT_CONFIG_PATH} is invalid`,
      summary: truncateHead(summary, CHECK_OUTPUT_MAX_BYTES),
      annotations: issues.slice(0, ANNOTATIONS_PER_REQUEST).map(issueAnnotation),
    },
    // No "Re-run failed" button: the same commit has the same config; the fix is a push.
  };
}

export function issueAnnotation(issue: ConfigIssue): Annotation {
  return fitAnnotation({
    path: DEFAULT_CONFIG_PATH,
    start_line: issue.line,
    end_line: issue.line,
    start_column: issue.col,
    end_column: issue.col,
    annotation_level: "failure",
    title: "pikaci config",
    message: issue.hint ? `${issue.message}\nhint: ${issue.hint}` : issue.message,
  });
}
