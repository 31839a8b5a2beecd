/**
 * The Checks API shapes pikaci sends, one definition for the Action (which concludes lanes) and the
 * App (which queues, skips and supersedes them).
 */

/** A check run annotation as the Checks API takes it. */
export interface Annotation {
  path: string;
  start_line: number;
  end_line: number;
  start_column?: number;
  end_column?: number;
  annotation_level: "notice" | "warning" | "failure";
  message: string;
  title?: string;
  raw_details?: string;
}

/** Every conclusion pikaci gives a check run; a lane's own result maps to the first five. */
export type Conclusion = "success" | "failure" | "timed_out" | "cancelled" | "skipped" | "action_required";

export interface CheckRunOutput {
  title: string;
  summary: string;
  text?: string;
  annotations?: Annotation[];
}
