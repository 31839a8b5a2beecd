import { posix } from "node:path";
import { UsageError } from "../../errors/index.js";

/** Where one job's files live on the build host, under the remote work dir. */
export interface RemoteJobLayout {
  runDir: string;
  jobDir: string;
  /** Run-scoped, so two runs of the same lane never clobber each other's results. */
  artifacts: string;
  /** Touched while the run is alive; `pikaci gc` treats a stale one as a dead run. */
  heartbeat: string;
}

export function remoteJobLayout(remoteWorkDir: string, runId: string, jobId: string): RemoteJobLayout {
  const runDir = posix.join(remoteWorkDir, "runs", runId);
  const jobDir = posix.join(runDir, "jobs", jobId);
  return {
    runDir,
    jobDir,
    artifacts: posix.join(jobDir, "artifacts"),
    heartbeat: posix.join(runDir, "heartbeat"),
  };
}

export function heartbeatPath(remoteWorkDir: string, runId: string): string {
  return posix.join(remoteWorkDir, "runs", runId, "heartbeat");
}

export function cacheDir(remoteWorkDir: string, name: string): string {
  return posix.join(remoteWorkDir, "cache", safeSegment(name, "cache name"));
}

/**
 * A payload mount's host path: `source` (relative to the workspace) re-rooted under `root` on the
 * build host. Absolute paths and `..` are rejected rather than normalised, so a config can never
 * mount a host directory outside the root.
 */
export function remoteMountSource(root: string, source: string): string {
  const parts = source.split("/").filter((part) => part !== "" && part !== ".");
  if (source.startsWith("/") || parts.length === 0 || parts.some((part) => part === "..")) {
    throw new UsageError(`mount source '${source}' escapes the workspace`, {
      hint: "mount sources are directories relative to the repository root, without '..'",
    });
  }
  return posix.join(root, ...parts);
}

/** Guest paths are absolute and never contain `..`; the config schema checks too, this is the last line. */
export function assertGuestPath(path: string): string {
  if (!path.startsWith("/") || path.split("/").includes("..") || path.includes("\0")) {
    throw new UsageError(`guest path '${path}' must be absolute and must not contain '..'`, {
      hint: "use an absolute path such as /workspace/cache",
    });
  }
  return path;
}

function safeSegment(value: string, what: string): string {
  if (value === "" || value === "." || value === ".." || value.includes("/") || value.includes("\0")) {
    throw new UsageError(`${what} '${value}' is not a single path segment`, {
      hint: "use letters, digits, '.', '_' and '-'",
    });
  }
  return value;
}
