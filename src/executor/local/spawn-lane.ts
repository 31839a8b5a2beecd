import { spawn } from "node:child_process";
import { constants } from "node:os";
import { StringDecoder } from "node:string_decoder";

export interface SpawnLaneParams {
  shell: string;
  command: string;
  cwd: string;
  env: Record<string, string>;
  timeoutMs: number;
  signal: AbortSignal;
  onOutput: (text: string) => void;
  /** After SIGTERM, how long the process group gets before SIGKILL. */
  killGraceMs?: number;
}

export type LaneExit =
  | { kind: "exited"; code: number; signal: string | null }
  | { kind: "timeout" }
  | { kind: "cancelled" }
  | { kind: "spawn_failed"; message: string };

/** Signal a whole process group; a group that is already gone is fine. */
function killGroup(pid: number | undefined, signal: NodeJS.Signals): void {
  if (pid === undefined) return;
  try {
    process.kill(-pid, signal);
  } catch {
    // ESRCH: nothing left to kill.
  }
}

/**
 * Run `shell -c command` in its own process group, so a timeout or a cancel kills everything
 * the lane started (background jobs included), not just the shell. Leftovers are killed when
 * the shell exits, too: a lane must not outlive its job.
 */
export function spawnLane(params: SpawnLaneParams): { started: Promise<void>; exit: Promise<LaneExit> } {
  let markStarted: () => void = () => {};
  const started = new Promise<void>((resolve) => {
    markStarted = resolve;
  });
  const exit = waitLane(params, () => markStarted());
  return { started, exit };
}

function waitLane(params: SpawnLaneParams, onSpawn: () => void): Promise<LaneExit> {
  const grace = params.killGraceMs ?? 2000;
  return new Promise((resolve) => {
    let stopReason: "timeout" | "cancelled" | null = null;
    let forceTimer: NodeJS.Timeout | undefined;
    const child = spawn(params.shell, ["-c", params.command], {
      cwd: params.cwd,
      env: params.env,
      detached: true,
      stdio: ["ignore", "pipe", "pipe"],
    });
    const stop = (reason: "timeout" | "cancelled"): void => {
      if (stopReason) return;
      stopReason = reason;
      killGroup(child.pid, "SIGTERM");
      forceTimer = setTimeout(() => killGroup(child.pid, "SIGKILL"), grace);
    };
    const deadline = setTimeout(() => stop("timeout"), params.timeoutMs);
    const onAbort = (): void => stop("cancelled");
    if (params.signal.aborted) onAbort();
    else params.signal.addEventListener("abort", onAbort, { once: true });

    for (const stream of [child.stdout, child.stderr]) {
      const decoder = new StringDecoder("utf8");
      stream.on("data", (chunk: Buffer) => {
        const text = decoder.write(chunk);
        if (text) params.onOutput(text);
      });
      stream.on("end", () => {
        const rest = decoder.end();
        if (rest) params.onOutput(rest);
      });
    }

    const finish = (exit: LaneExit): void => {
      clearTimeout(deadline);
      clearTimeout(forceTimer);
      params.signal.removeEventListener("abort", onAbort);
      killGroup(child.pid, "SIGKILL");
      resolve(exit);
    };
    child.on("spawn", onSpawn);
    child.on("error", (error) => {
      onSpawn();
      finish({ kind: "spawn_failed", message: error.message });
    });
    // `close` waits for the pipes; a daemonised grandchild holding them is killed with the group above.
    child.on("exit", () => killGroup(child.pid, "SIGKILL"));
    child.on("close", (code, signal) => {
      if (stopReason) finish({ kind: stopReason });
      else finish({ kind: "exited", code: code ?? 128 + signalNumber(signal), signal });
    });
  });
}

function signalNumber(signal: NodeJS.Signals | null): number {
  return signal ? (constants.signals[signal] ?? 0) : 0;
}
