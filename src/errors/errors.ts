/**
 * Error kinds. Every error a user can see names the fix. They are caught at one
 * boundary per entry point (CLI main, action run, app handler), never deep inside.
 *
 * InfrastructureError is a distinct kind from a test failure: a lane whose guest ran
 * and exited non-zero is a *result*, not an exception, and is never thrown.
 */
export class PikaciError extends Error {
  /** What the user should do about it, one sentence. */
  readonly hint: string | undefined;
  constructor(message: string, options: { hint?: string; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.hint = options.hint;
  }
}

/** Bad command-line usage or action inputs. Exit code 2. */
export class UsageError extends PikaciError {}

/** One problem in a config file, located at file:line:col. */
export interface ConfigIssue {
  file: string;
  line: number;
  col: number;
  message: string;
  hint?: string;
}

/** `.github/pikaci.yml` is invalid. Exit code 2. Carries every issue found, not only the first. */
export class ConfigError extends PikaciError {
  readonly issues: ConfigIssue[];
  constructor(issues: ConfigIssue[]) {
    super(issues.map(formatConfigIssue).join("\n"));
    this.issues = issues;
  }
}

export function formatConfigIssue(issue: ConfigIssue): string {
  const where = `${issue.file}:${issue.line}:${issue.col}`;
  return issue.hint ? `${where}: ${issue.message} (${issue.hint})` : `${where}: ${issue.message}`;
}

/**
 * The build host, SSH, Incus, the disk or the network failed — not the code under test.
 * These are retried (once by default) and reported as `failure_kind: infrastructure`.
 */
export class InfrastructureError extends PikaciError {}

/**
 * A file no longer matches the snapshot the run hashed: it was edited (or removed) between hashing
 * and the executor copying or uploading it. The one error every executor raises for this, so a
 * lane that would run code its record does not name fails the same way wherever it runs.
 */
export class SnapshotChangedError extends InfrastructureError {
  readonly path: string;
  constructor(path: string, snapshotHash: string, options: { cause?: unknown } = {}) {
    super(
      `the workspace changed after the snapshot was hashed: ${path} (snapshot ${snapshotHash.slice(0, 12)})`,
      {
        hint: "do not edit the workspace while pikaci copies or syncs it; run again to hash and run the current files",
        ...options,
      },
    );
    this.path = path;
  }
}

/** A file that vanished (or stopped being a file) since hashing is a changed workspace, not an I/O fault. */
export function asSnapshotChange(error: unknown, path: string, snapshotHash: string): unknown {
  const code = (error as NodeJS.ErrnoException | null)?.code;
  const gone = code === "ENOENT" || code === "EISDIR" || code === "ENOTDIR" || code === "ELOOP";
  return gone ? new SnapshotChangedError(path, snapshotHash, { cause: error }) : error;
}

/** A state-store id (run id, job id) that is empty, too long or could escape the root. */
export class InvalidIdError extends PikaciError {}

/** The user asked to stop (SIGINT/SIGTERM, or a superseded run). */
export class CancelledError extends PikaciError {}

/** Render an error for a person: message, then the hint on its own line. */
export function describeError(error: unknown): string {
  if (error instanceof PikaciError) {
    return error.hint ? `${error.message}\n  hint: ${error.hint}` : error.message;
  }
  if (error instanceof Error) return error.message;
  return String(error);
}
