import type { IncomingHttpHeaders } from "node:http";
import { leanExchange } from "../lean-fetch.js";
import { type LeanRetryOptions, withRetries } from "../lean-retry.js";

/**
 * The App's REST client for the calls every delivery makes (config, changed files, check runs,
 * dispatch). Octokit built each of them by merging default objects, parsing the route's URL
 * template and running a chain of hooks (auth, retry, throttling, logging): about a third of the
 * App's CPU per delivery. Here the path is built by the caller from fixed routes, the headers are
 * fixed, and the same policies apply: the token of the installation, retries (`withRetries`),
 * writes spaced per installation (GitHub's advice against secondary rate limits), and a wait of
 * the answer's `retry-after` on a secondary rate limit.
 */
export interface RestRequest {
  method: "GET" | "POST" | "PATCH";
  /** Path and query from the API root, each parameter already encoded (`encodePart`). */
  path: string;
  body?: unknown;
  /** Media type; default `application/vnd.github.v3+json`. */
  accept?: string;
  /** The body as text whatever its content type (a file asked for raw). */
  text?: boolean;
  /** Sent to the GraphQL endpoint of this API root (`path` is then ignored). */
  graphql?: boolean;
}

export interface RestResponse {
  status: number;
  data: unknown;
}

export type RestClient = (request: RestRequest) => Promise<RestResponse>;

/** An answer of 400 or more, shaped like Octokit's RequestError (`status`, `response.data`). */
export class RestError extends Error {
  readonly status: number;
  readonly response: { status: number; url: string; data: unknown; headers: IncomingHttpHeaders };
  constructor(status: number, url: string, data: unknown, headers: IncomingHttpHeaders = {}) {
    super(errorMessage(data));
    this.name = "HttpError";
    this.status = status;
    this.response = { status, url, data, headers };
  }
}

export interface RestClientOptions {
  baseUrl: string;
  token: () => Promise<string>;
  /** Space writes ≥ 1 s apart on this key (the installation); absent: unthrottled. */
  writeSpacing?: WriteSpacing;
  retry?: LeanRetryOptions;
  userAgent?: string;
}

const JSON_MEDIA = "application/vnd.github.v3+json";
/** How long to wait on a rate limit answer without `retry-after` (GitHub's advice: a minute). */
const RATE_LIMIT_WAIT_S = 60;
const FRESH_TOKEN_WAIT_S = 1;

export function createRestClient(options: RestClientOptions): RestClient {
  const base = options.baseUrl.replace(/\/+$/, "");
  const userAgent = options.userAgent ?? "pikaci-app";
  const graphqlUrl = graphqlEndpoint(base);
  const once = async (request: RestRequest): Promise<RestResponse> => {
    const headers: Record<string, string> = {
      accept: request.accept ?? JSON_MEDIA,
      authorization: `token ${await options.token()}`,
      "user-agent": userAgent,
    };
    let body: string | undefined;
    if (request.body !== undefined) {
      body = JSON.stringify(request.body);
      headers["content-type"] = "application/json; charset=utf-8";
    }
    const url = request.graphql ? graphqlUrl : base + request.path;
    const { message, bytes } = await leanExchange(url, {
      method: request.method,
      headers,
      body: body ?? null,
    });
    const text = bytes.toString("utf8");
    const isJson = !request.text && (message.headers["content-type"] ?? "").includes("json");
    const data = text && isJson ? JSON.parse(text) : text;
    const status = message.statusCode ?? 0;
    if (status >= 400) throw new RestError(status, url, data, message.headers);
    return { status, data };
  };
  const spacing = options.writeSpacing;
  const send = (request: RestRequest) =>
    withRateLimitWait(() =>
      spacing && request.method !== "GET" ? spacing.run(() => once(request)) : once(request),
    );
  return (request) => withRetries(() => send(request), options.retry);
}

/**
 * Answers worth one more try after a wait: a secondary rate limit (Octokit's throttling plugin
 * waited too), and a 401, which GitHub gives for an installation token minted moments ago and not
 * yet known everywhere (@octokit/auth-app retried that too).
 */
async function withRateLimitWait<T>(send: () => Promise<T>): Promise<T> {
  try {
    return await send();
  } catch (error) {
    const wait = rateLimitWaitSecs(error);
    if (wait === null) throw error;
    await new Promise((resolve) => setTimeout(resolve, wait * 1000));
    return send();
  }
}

export function rateLimitWaitSecs(error: unknown): number | null {
  if (error instanceof RestError && error.status === 401) return FRESH_TOKEN_WAIT_S;
  if (!(error instanceof RestError) || (error.status !== 403 && error.status !== 429)) return null;
  const message = (error.response.data as { message?: unknown } | null)?.message;
  const retryAfter = Number(error.response.headers["retry-after"]);
  const limited = /secondary rate limit/i.test(typeof message === "string" ? message : "");
  if (error.status === 403 && !limited && !retryAfter) return null;
  return retryAfter > 0 ? retryAfter : RATE_LIMIT_WAIT_S;
}

/** Writes of one installation: one at a time, each started ≥ `minMs` after the previous one. */
export interface WriteSpacing {
  run<T>(write: () => Promise<T>): Promise<T>;
}

export function createWriteSpacing(minMs = 1000): WriteSpacing {
  let queue: Promise<unknown> = Promise.resolve();
  let lastStart = Number.NEGATIVE_INFINITY;
  return {
    run(write) {
      const turn = queue.then(async () => {
        const wait = lastStart + minMs - Date.now();
        if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
        lastStart = Date.now();
        return write();
      });
      queue = turn.catch(() => {});
      return turn;
    },
  };
}

/**
 * GitHub's GraphQL endpoint for a REST API root, as @octokit/graphql finds it: `<root>/graphql`,
 * except GitHub Enterprise Server's `https://host/api/v3`, whose GraphQL is `https://host/api/graphql`.
 */
export function graphqlEndpoint(restBase: string): string {
  return /\/api\/v3$/.test(restBase) ? restBase.replace(/\/api\/v3$/, "/api/graphql") : `${restBase}/graphql`;
}

/** One path parameter, encoded as Octokit's URL templates encode it (a `/` becomes `%2F`). */
export function encodePart(value: string | number): string {
  return encodeURIComponent(String(value)).replace(
    /[!'()*]/g,
    (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`,
  );
}

/** GitHub's error body as Octokit words it: the message, its field errors, the documentation link. */
function errorMessage(data: unknown): string {
  if (typeof data === "string") return data || "Unknown error";
  const d = data as { message?: unknown; errors?: unknown[]; documentation_url?: unknown } | null;
  if (typeof d?.message !== "string") return `Unknown error: ${JSON.stringify(data)}`;
  const errors = Array.isArray(d.errors) ? `: ${d.errors.map((e) => JSON.stringify(e)).join(", ")}` : "";
  const docs = typeof d.documentation_url === "string" ? ` - ${d.documentation_url}` : "";
  return `${d.message}${errors}${docs}`;
}
