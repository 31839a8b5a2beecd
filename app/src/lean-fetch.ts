import { Agent as HttpAgent, request as httpRequest, type IncomingMessage } from "node:http";
import { Agent as HttpsAgent, request as httpsRequest } from "node:https";

/**
 * The subset of `fetch` octokit uses, over node:http with keep-alive agents. The App makes a
 * dozen small API calls per pull request; undici's fetch (web streams, a wasm parser per
 * response) was the largest CPU cost per webhook in the benchmark. Redirects are followed for
 * GET/HEAD like fetch's default, and like fetch (the Fetch standard, "HTTP-redirect fetch") a
 * redirect to another origin drops the credentials: GitHub answers an artifact or log download
 * with a 302 to a storage host, which must never see the installation token (and refuses a
 * request carrying one). Bodies are buffered (API responses are small JSON).
 */
export interface LeanResponse {
  status: number;
  statusText: string;
  url: string;
  headers: Headers;
  body: null;
  text(): Promise<string>;
  json(): Promise<unknown>;
  arrayBuffer(): Promise<ArrayBuffer>;
}

export interface LeanInit {
  method?: string;
  body?: string | Uint8Array | null;
  headers?: Record<string, string>;
  signal?: AbortSignal | null;
  redirect?: "follow" | "manual" | "error";
}

const MAX_REDIRECTS = 5;
/** Headers that carry credentials: never sent to an origin other than the one they were meant for. */
const CREDENTIAL_HEADERS = new Set(["authorization", "proxy-authorization", "cookie"]);
/** A connection that sends nothing for this long is abandoned, so a handler can never hang. */
const IDLE_TIMEOUT_MS = 30_000;
const agents = {
  "http:": new HttpAgent({ keepAlive: true, maxSockets: 64 }),
  "https:": new HttpsAgent({ keepAlive: true, maxSockets: 64 }),
};

export async function leanFetch(input: string | URL, init: LeanInit = {}): Promise<LeanResponse> {
  const { url, message, bytes } = await leanExchange(input, init);
  return toResponse(url, message, bytes);
}

/** What `leanFetch` does, without building a fetch Response: for callers that read the raw message. */
export async function leanExchange(
  input: string | URL,
  init: LeanInit = {},
): Promise<{ url: URL; message: IncomingMessage; bytes: Buffer }> {
  let url = new URL(String(input));
  let request = init;
  for (let hop = 0; ; hop++) {
    const res = await send(url, request);
    const location = res.message.headers.location;
    const follow = (init.redirect ?? "follow") === "follow" && ["GET", "HEAD"].includes(init.method ?? "GET");
    if (follow && location && [301, 302, 303, 307, 308].includes(res.message.statusCode ?? 0)) {
      if (hop >= MAX_REDIRECTS) throw new TypeError(`too many redirects from ${String(input)}`);
      const next = new URL(location, url);
      if (next.origin !== url.origin) request = { ...request, headers: withoutCredentials(request.headers) };
      url = next;
      continue;
    }
    return { url, ...res };
  }
}

function withoutCredentials(headers: Record<string, string> | undefined): Record<string, string> {
  return Object.fromEntries(
    Object.entries(headers ?? {}).filter(([name]) => !CREDENTIAL_HEADERS.has(name.toLowerCase())),
  );
}

/**
 * One exchange; sent again, once, on a fresh connection when a kept-alive connection turns out
 * to have been closed by the server before it answered. A server closes an idle connection when it
 * likes (Node's after 5 s); a busy client may not yet have read that close when it picks the
 * connection for its next request, which then fails with ECONNRESET though the server never saw
 * it. Node documents this retry (`request.reusedSocket`); Octokit's fetch path retried these too.
 */
async function send(url: URL, init: LeanInit): Promise<{ message: IncomingMessage; bytes: Buffer }> {
  try {
    return await sendOnce(url, init);
  } catch (error) {
    if (!(error instanceof StaleConnectionError)) throw error;
    // Not from the pool: connections that went idle together are closed together, and the next
    // pooled one may be just as stale.
    return sendOnce(url, init, false);
  }
}

class StaleConnectionError extends TypeError {}

function sendOnce(
  url: URL,
  init: LeanInit,
  pooled = true,
): Promise<{ message: IncomingMessage; bytes: Buffer }> {
  const isHttps = url.protocol === "https:";
  if (!isHttps && url.protocol !== "http:")
    return Promise.reject(new TypeError(`unsupported URL ${url.href}`));
  const body = init.body == null ? undefined : Buffer.from(init.body);
  const headers = { ...init.headers, ...(body ? { "content-length": String(body.length) } : {}) };
  return new Promise((resolve, reject) => {
    let answered = false;
    const req = (isHttps ? httpsRequest : httpRequest)(
      url,
      {
        method: init.method ?? "GET",
        headers,
        agent: pooled ? agents[isHttps ? "https:" : "http:"] : false,
        signal: init.signal ?? undefined,
      },
      (message) => {
        answered = true;
        const chunks: Buffer[] = [];
        message.on("data", (chunk: Buffer) => chunks.push(chunk));
        message.on("end", () => resolve({ message, bytes: Buffer.concat(chunks) }));
        message.on("error", reject);
      },
    );
    req.setTimeout(IDLE_TIMEOUT_MS, () =>
      req.destroy(new Error(`no response from ${url.host} in ${IDLE_TIMEOUT_MS} ms`)),
    );
    req.on("error", (error: NodeJS.ErrnoException) => {
      const stale = pooled && req.reusedSocket && !answered && error.code === "ECONNRESET";
      reject(Object.assign(new (stale ? StaleConnectionError : TypeError)("fetch failed"), { cause: error }));
    });
    req.end(body);
  });
}

function toResponse(url: URL, message: IncomingMessage, bytes: Buffer): LeanResponse {
  const headers = new Headers();
  for (const [name, value] of Object.entries(message.headers)) {
    if (value === undefined) continue;
    for (const v of Array.isArray(value) ? value : [value]) headers.append(name, v);
  }
  const text = async () => bytes.toString("utf8");
  return {
    status: message.statusCode ?? 0,
    statusText: message.statusMessage ?? "",
    url: url.href,
    headers,
    body: null,
    text,
    json: async () => JSON.parse(await text()),
    arrayBuffer: async () =>
      bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer,
  };
}
