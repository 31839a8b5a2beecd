import { existsSync } from "node:fs";
import { delimiter, join } from "node:path";

/**
 * The environment a local lane sees: built from scratch, never inherited, so tokens and keys
 * in the caller's environment cannot leak into a lane's command or its log.
 */
export interface LaneEnvParams {
  /** Only PATH and LANG are read from it. */
  parent: Readonly<Record<string, string | undefined>>;
  home: string;
  tmp: string;
  lane: Readonly<Record<string, string>>;
  ids: { runId: string; jobId: string; laneId: string; attempt: number };
}

export const FALLBACK_PATH = "/usr/local/bin:/usr/bin:/bin";

export function laneEnv(params: LaneEnvParams): Record<string, string> {
  return {
    PATH: params.parent.PATH || FALLBACK_PATH,
    HOME: params.home,
    TMPDIR: params.tmp,
    LANG: params.parent.LANG || "C.UTF-8",
    CI: "true",
    PIKACI: "1",
    ...params.lane,
    PIKACI_RUN_ID: params.ids.runId,
    PIKACI_JOB_ID: params.ids.jobId,
    PIKACI_LANE_ID: params.ids.laneId,
    PIKACI_ATTEMPT: String(params.ids.attempt),
  };
}

/** `bash` when the machine has it (lanes are written for bash), else POSIX `sh`. */
export function findShell(path: string | undefined, exists: (file: string) => boolean = existsSync): string {
  for (const dir of (path || FALLBACK_PATH).split(delimiter)) {
    if (dir && exists(join(dir, "bash"))) return join(dir, "bash");
  }
  return "/bin/sh";
}
