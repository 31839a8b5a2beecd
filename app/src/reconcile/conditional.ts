import type { Endpoints } from "@octokit/types";
import { statusOf } from "../octokit-port.js";

/** The part of an Octokit the reconciler uses: `request(route, params)`. */
export interface RequestOctokit {
  request(
    route: string,
    params?: Record<string, unknown>,
  ): Promise<{ data: unknown; headers: Record<string, unknown> }>;
}

/** What one reconcile pass spent, printed at its end and in the benchmark. */
export interface CallCounter {
  /** Every request sent to GitHub. */
  calls: number;
  /** Conditional requests answered 304: GitHub does not count these against the rate limit. */
  notModified: number;
  /** The lowest `x-ratelimit-remaining` seen, per installation key. */
  remaining: Map<string, number>;
}

export function newCounter(): CallCounter {
  return { calls: 0, notModified: 0, remaining: new Map() };
}

/**
 * ETag → last body, per token holder and URL. A listing that has not changed since the last pass
 * is answered 304 from `If-None-Match`, which costs nothing against the rate limit; the body is
 * then taken from here. Bounded: the oldest entries are dropped past `max`.
 */
export class EtagCache {
  private readonly entries = new Map<string, { etag: string; data: unknown }>();
  constructor(private readonly max = 5000) {}
  get(key: string) {
    return this.entries.get(key);
  }
  set(key: string, value: { etag: string; data: unknown }) {
    this.entries.delete(key);
    this.entries.set(key, value);
    if (this.entries.size > this.max) this.entries.delete(this.entries.keys().next().value!);
  }
}

/** The hook API of an Octokit instance, to count its requests and read its rate limit. */
export interface HookOctokit {
  hook: {
    before(name: "request", fn: () => void): void;
    after(name: "request", fn: (res: { headers: Record<string, unknown> }) => void): void;
    error(name: "request", fn: (error: unknown) => never | Promise<never>): void;
  };
}

/** Count every request this Octokit sends and keep the lowest rate-limit reading, under `who`. */
export function countRequests(octokit: HookOctokit, counter: CallCounter, who: string): void {
  octokit.hook.before("request", () => {
    counter.calls++;
  });
  octokit.hook.after("request", (res) => noteRateLimit(counter, who, res.headers));
  octokit.hook.error("request", (error) => {
    const headers = (error as { response?: { headers?: Record<string, unknown> } }).response?.headers;
    if (headers) noteRateLimit(counter, who, headers);
    throw error;
  });
}

/**
 * A GET through the cache: `If-None-Match` when the URL was seen, the cached body on 304. `who`
 * keys the cache (an installation id, or "app" for the App's JWT).
 */
export async function conditionalGet<T>(
  ctx: { octokit: RequestOctokit; cache: EtagCache; counter: CallCounter; who: string },
  route: string,
  params: Record<string, unknown> = {},
): Promise<T> {
  const key = `${ctx.who} ${route} ${JSON.stringify(params)}`;
  const cached = ctx.cache.get(key);
  try {
    const res = await ctx.octokit.request(route, {
      ...params,
      ...(cached ? { headers: { "if-none-match": cached.etag } } : {}),
    });
    const etag = res.headers.etag;
    if (typeof etag === "string") ctx.cache.set(key, { etag, data: res.data });
    return res.data as T;
  } catch (error) {
    if (statusOf(error) === 304 && cached) {
      ctx.counter.notModified++;
      return cached.data as T;
    }
    throw error;
  }
}

function noteRateLimit(counter: CallCounter, who: string, headers: Record<string, unknown>) {
  const remaining = Number(headers["x-ratelimit-remaining"]);
  if (headers["x-ratelimit-remaining"] === undefined || !Number.isFinite(remaining)) return;
  const seen = counter.remaining.get(who);
  if (seen === undefined || remaining < seen) counter.remaining.set(who, remaining);
}

/**
 * A route and its parameters, checked at compile time against GitHub's REST description
 * (`@octokit/types`' Endpoints, generated from the OpenAPI description `@octokit/openapi-types`):
 * a wrong method, path or parameter name does not compile.
 */
export function checked<R extends keyof Endpoints>(
  route: R,
  params: Endpoints[R]["parameters"],
): [R, Record<string, unknown>] {
  return [route, params as Record<string, unknown>];
}
