/**
 * Octokit's retry plugin, without its cost: `@octokit/plugin-retry` builds a new Bottleneck
 * limiter for every request, which was one of the largest CPU costs per webhook delivery in the
 * benchmark. The same policy: a request that failed with a status of 400 or more, other than the
 * ones a retry cannot fix, is tried again up to 3 times, after 1 s, 4 s and 9 s.
 */
const DO_NOT_RETRY = new Set([304, 400, 401, 403, 404, 410, 422, 451]);

export interface LeanRetryOptions {
  retries?: number;
  baseMs?: number;
}

interface HookableOctokit {
  hook: {
    wrap(
      name: "request",
      fn: (request: (options: unknown) => Promise<unknown>, options: unknown) => Promise<unknown>,
    ): void;
  };
}

export function leanRetry(octokit: HookableOctokit, options: { leanRetry?: LeanRetryOptions }) {
  octokit.hook.wrap("request", (request, requestOptions) =>
    withRetries(() => request(requestOptions), options.leanRetry),
  );
  return {};
}

/** The policy itself, for any request function (the App's lean REST client uses it too). */
export async function withRetries<T>(send: () => Promise<T>, options: LeanRetryOptions = {}): Promise<T> {
  const retries = options.retries ?? 3;
  const baseMs = options.baseMs ?? 1000;
  for (let attempt = 0; ; attempt++) {
    try {
      return await send();
    } catch (error) {
      const status = (error as { status?: unknown }).status;
      const retryable = typeof status === "number" && status >= 400 && !DO_NOT_RETRY.has(status);
      if (!retryable || attempt >= retries) throw error;
      await new Promise((resolve) => setTimeout(resolve, (attempt + 1) ** 2 * baseMs));
    }
  }
}
