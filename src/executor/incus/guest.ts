import { randomBytes } from "node:crypto";
import { CancelledError, describeError } from "../../errors/index.js";
import type { IncusClient } from "../../incus/client.js";
import { DEFAULT_LOG_LIMIT_BYTES, type ExecuteSpec } from "../../schema/index.js";
import type { Transport } from "../../transport/transport.js";
import { TrailerSplitter } from "./trailer.js";

export const DEFAULT_RUNNER_PATH = "/run/current-system/sw/bin/pikaci-incus-run";

/** The runner's inputs. The command goes in one env value, never through a shell on the host. */
export function guestEnv(params: {
  spec: Pick<ExecuteSpec, "command" | "timeout_secs" | "run_as_root" | "env" | "log_limit_bytes">;
  workdir: string;
  ids: { runId: string; jobId: string; laneId: string; attempt: number };
}): Record<string, string> {
  const { spec, ids } = params;
  return {
    ...spec.env,
    PIKACI: "1",
    PIKACI_RUN_ID: ids.runId,
    PIKACI_JOB_ID: ids.jobId,
    PIKACI_LANE_ID: ids.laneId,
    PIKACI_ATTEMPT: String(ids.attempt),
    PIKACI_INCUS_GUEST_COMMAND: spec.command,
    PIKACI_INCUS_TIMEOUT_SECS: String(spec.timeout_secs),
    PIKACI_INCUS_RUN_AS_ROOT: spec.run_as_root ? "1" : "0",
    PIKACI_INCUS_WORKDIR: params.workdir,
    // The runner's own guest.log on the build host keeps this many first bytes (runners that
    // predate the variable ignore it); pikaci's stored copy is capped head-and-tail on this side.
    PIKACI_INCUS_LOG_LIMIT_BYTES: String(spec.log_limit_bytes ?? DEFAULT_LOG_LIMIT_BYTES),
  };
}

export type GuestExit =
  | { kind: "exited"; code: number | null; resultText: string | null }
  | { kind: "deadline" }
  | { kind: "cancelled" }
  | { kind: "error"; message: string };

/** Starts the runner with its output going to `onOutput`; resolves with its exit and result.json. */
export type GuestStart = (io: {
  onOutput: (text: string) => void;
  signal: AbortSignal;
}) => Promise<{ code: number | null; resultText: string | null }>;

/**
 * Run the guest runner and wait for it under a host-side deadline (the lane timeout plus a grace for
 * the runner's own kill). The runner's stdout and stderr stream into the guest log as they arrive.
 */
export async function runGuest(params: {
  start: GuestStart;
  deadlineMs: number;
  onOutput: (text: string) => void;
  signal: AbortSignal;
}): Promise<GuestExit> {
  const controller = new AbortController();
  let deadlineHit = false;
  const timer = setTimeout(() => {
    deadlineHit = true;
    controller.abort(new CancelledError("host-side deadline"));
  }, params.deadlineMs);
  const onAbort = () => controller.abort(params.signal.reason);
  params.signal.addEventListener("abort", onAbort, { once: true });
  if (params.signal.aborted) onAbort();
  try {
    const result = await params.start({ onOutput: params.onOutput, signal: controller.signal });
    if (deadlineHit) return { kind: "deadline" };
    if (params.signal.aborted) return { kind: "cancelled" };
    return { kind: "exited", ...result };
  } catch (error) {
    if (deadlineHit) return { kind: "deadline" };
    if (params.signal.aborted) return { kind: "cancelled" };
    return { kind: "error", message: describeError(error) };
  } finally {
    clearTimeout(timer);
    params.signal.removeEventListener("abort", onAbort);
  }
}

/**
 * The runner through `incus exec` in a host shell (the CLI path). The wrapper then appends
 * result.json to stderr after a random marker, so the result comes back on the same channel
 * instead of costing another ssh round trip.
 */
export function shellGuest(params: {
  transport: Transport;
  execArgv: string[];
  resultPath: string;
}): GuestStart {
  return async ({ onOutput, signal }) => {
    const marker = `\n@@pikaci-result-${randomBytes(16).toString("hex")}@@\n`;
    // Decode streaming UTF-8 across chunk boundaries, one decoder per stream.
    const out = new TextDecoder();
    const err = new TextDecoder();
    const stderr = new TrailerSplitter(marker, onOutput);
    const wrapper =
      'r=$1; m=$2; shift 2; "$@"; rc=$?; printf "%s" "$m" >&2; cat -- "$r" >&2 2>/dev/null; exit $rc';
    try {
      const result = await params.transport.exec(
        ["sh", "-c", wrapper, "pikaci-guest", params.resultPath, marker, ...params.execArgv],
        {
          collect: false,
          onStdout: (chunk) => onOutput(out.decode(chunk, { stream: true })),
          onStderr: (chunk) => stderr.push(err.decode(chunk, { stream: true })),
          signal,
        },
      );
      const resultText = stderr.end();
      return { code: result.code, resultText: resultText === "" ? null : resultText };
    } catch (error) {
      stderr.end();
      throw error;
    }
  };
}

/**
 * The runner through the Incus API (no host shell, no CLI process): its streams come straight from
 * the daemon; result.json is then read on the host, one request more.
 */
export function apiGuest(params: {
  incus: IncusClient;
  instance: string;
  argv: string[];
  env: Record<string, string>;
  readResult: () => Promise<string | null>;
}): GuestStart {
  return async ({ onOutput, signal }) => {
    const out = new TextDecoder();
    const err = new TextDecoder();
    const result = await params.incus.exec(params.instance, params.argv, {
      env: params.env,
      collect: false,
      onStdout: (chunk) => onOutput(out.decode(chunk, { stream: true })),
      onStderr: (chunk) => onOutput(err.decode(chunk, { stream: true })),
      signal,
    });
    // A lost read is not fatal: the verdict step reads result.json on the host instead.
    const resultText = await params.readResult().catch(() => null);
    return { code: result.code, resultText };
  };
}
