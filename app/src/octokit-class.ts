import { ProbotOctokit } from "probot";
import { leanRetry } from "./lean-retry.js";

/**
 * The Octokit class probot builds every event's client from. Octokit's throttling spaces writes
 * a second apart — GitHub asks for that per token — but keys its limiters by `throttle.id`,
 * which defaults to one value for the whole process: every installation would then share one
 * write per second. Keying by installation keeps GitHub's spacing without one busy repository
 * delaying every other. `throttle: false` is for a local stand-in of the API.
 */
export function pikaciOctokit({ throttle }: { throttle: boolean }): typeof ProbotOctokit {
  // probot's retry plugin is switched off and replaced by the same policy without its per-request limiter.
  return ProbotOctokit.plugin(leanRetry as never).defaults((options: Record<string, unknown>) => ({
    ...withThrottle(options, throttle),
    retry: { enabled: false },
  })) as typeof ProbotOctokit;
}

export function withThrottle(options: Record<string, unknown>, throttle: boolean): Record<string, unknown> {
  const installationId = (options.auth as { installationId?: unknown } | undefined)?.installationId;
  const id = typeof installationId === "number" ? `pikaci-installation-${installationId}` : "pikaci-app";
  return {
    ...options,
    throttle: { ...(options.throttle as object | undefined), ...(throttle ? { id } : { enabled: false }) },
  };
}
