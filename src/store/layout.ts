import path from "node:path";
import { InvalidIdError } from "../errors/index.js";
import { assertJobId, assertRunId } from "./ids.js";

export type LogKind = "host" | "guest";

/** The file names of a run directory: `runs/<run_id>/{run.json,plan.json,jobs/<lane_id>/{host,guest}.log}`. */
export const RUN_FILE = "run.json";
export const PLAN_FILE = "plan.json";
export const JOBS_DIR = "jobs";
/** A job's collected files: `jobs/<lane_id>/artifacts/…`. */
export const ARTIFACTS_DIR = "artifacts";

export function logFileName(kind: LogKind): string {
  return `${kind}.log`;
}

/** A `/`-separated path inside a run directory read as one of its job logs; null for anything else. */
export function parseJobLogPath(relative: string): { jobId: string; kind: LogKind } | null {
  const parts = relative.split("/");
  if (parts.length !== 3 || parts[0] !== JOBS_DIR) return null;
  const kind = (["host", "guest"] as const).find((k) => logFileName(k) === parts[2]);
  return kind ? { jobId: parts[1]!, kind } : null;
}

/**
 * Where things live under the state root. Every id is validated, and every path is checked
 * to resolve inside the root — the second check is defence in depth should a validator loosen.
 */
export class StoreLayout {
  readonly root: string;

  constructor(root: string) {
    this.root = path.resolve(root);
  }

  runsDir(): string {
    return this.inside("runs");
  }

  runDir(runId: string): string {
    assertRunId(runId);
    return this.inside("runs", runId);
  }

  runFile(runId: string): string {
    return this.inside(this.runDir(runId), RUN_FILE);
  }

  planFile(runId: string): string {
    return this.inside(this.runDir(runId), PLAN_FILE);
  }

  jobsDir(runId: string): string {
    return this.inside(this.runDir(runId), JOBS_DIR);
  }

  jobDir(runId: string, jobId: string): string {
    assertJobId(jobId);
    return this.inside(this.jobsDir(runId), jobId);
  }

  logFile(runId: string, jobId: string, kind: LogKind): string {
    if (kind !== "host" && kind !== "guest") {
      throw new InvalidIdError(`unknown log kind ${JSON.stringify(kind)}`, { hint: "use host or guest" });
    }
    return this.inside(this.jobDir(runId, jobId), logFileName(kind));
  }

  private inside(...segments: string[]): string {
    const resolved = path.resolve(this.root, ...segments);
    const relative = path.relative(this.root, resolved);
    if (relative === "" || relative.startsWith("..") || path.isAbsolute(relative)) {
      throw new InvalidIdError(`refusing a path outside the state root: ${resolved}`, {
        hint: "ids must be plain names; this is a bug if they were",
      });
    }
    return resolved;
  }
}

export function resolveStateRoot(env: NodeJS.ProcessEnv = process.env, cwd: string = process.cwd()): string {
  const configured = env.PIKACI_STATE_ROOT;
  return configured && configured.trim() !== "" ? path.resolve(cwd, configured) : path.join(cwd, ".pikaci");
}
