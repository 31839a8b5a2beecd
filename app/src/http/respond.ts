import { createHash, timingSafeEqual } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";

/**
 * A route answers the request and returns true, or returns false to let the next one try.
 * The server tries them in order before probot's webhook middleware; run pages and other
 * engineers' handlers are added the same way.
 */
export type Route = (req: IncomingMessage, res: ServerResponse) => boolean | Promise<boolean>;

export function sendJson(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
) {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    "content-type": "application/json; charset=utf-8",
    "content-length": Buffer.byteLength(text),
    "cache-control": "no-store",
    "x-content-type-options": "nosniff",
    ...headers,
  });
  res.end(text);
}

/** Compare a bearer token without leaking its length or prefix through timing. */
export function bearerMatches(header: string | undefined, token: string): boolean {
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header ?? "");
  if (!match) return false;
  const digest = (s: string) => createHash("sha256").update(s).digest();
  return timingSafeEqual(digest(match[1]!), digest(token));
}

/** The raw path split into decoded segments; null when a segment cannot be decoded. */
export function pathSegments(url: string | undefined): { segments: string[]; query: URLSearchParams } | null {
  const raw = url ?? "/";
  const q = raw.indexOf("?");
  const path = q === -1 ? raw : raw.slice(0, q);
  try {
    return {
      segments: path.split("/").slice(1).map(decodeURIComponent),
      query: new URLSearchParams(q === -1 ? "" : raw.slice(q + 1)),
    };
  } catch {
    return null;
  }
}
