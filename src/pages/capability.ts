import { createHmac, timingSafeEqual } from "node:crypto";

/**
 * Capability links: whoever holds a run page's URL may view that run, and nothing else, without a
 * GitHub login. The signature is HMAC-SHA256 over a scope string ("run:<id>" or "repo:<owner>/<repo>"),
 * so a run's signature opens neither another run nor a repository page.
 *
 * The key is derived from the App's secret rather than being the secret itself, so these links and
 * webhook signatures never share a key even though they share one configured value.
 */

export type CapabilityScope = { kind: "run"; runId: string } | { kind: "repo"; owner: string; repo: string };

const SIG_PATTERN = /^[A-Za-z0-9_-]{43}$/;

function deriveKey(secret: string): Buffer {
  if (secret.length === 0) throw new TypeError("capability links need a non-empty secret");
  return createHmac("sha256", secret).update("pikaci run pages capability key v1").digest();
}

function scopeString(scope: CapabilityScope): string {
  // GitHub owner and repository names are case-insensitive; one repository gets one signature.
  return scope.kind === "run"
    ? `run:${scope.runId}`
    : `repo:${scope.owner.toLowerCase()}/${scope.repo.toLowerCase()}`;
}

export function signScope(scope: CapabilityScope, secret: string): string {
  return createHmac("sha256", deriveKey(secret)).update(scopeString(scope)).digest("base64url");
}

/** Constant-time check; a missing or malformed signature is simply not valid. */
export function verifyScope(scope: CapabilityScope, sig: string | null | undefined, secret: string): boolean {
  if (typeof sig !== "string" || !SIG_PATTERN.test(sig)) return false;
  const expected = Buffer.from(signScope(scope, secret), "base64url");
  const given = Buffer.from(sig, "base64url");
  return given.length === expected.length && timingSafeEqual(given, expected);
}

function joinBase(baseUrl: string, path: string): string {
  return `${baseUrl.replace(/\/+$/, "")}${path}`;
}

/** `<baseUrl>/pikaci/runs/<runId>?sig=…` — what the App and the Action put in a check run's details_url. */
export function signRunUrl(options: { baseUrl: string; runId: string; secret: string }): string {
  const sig = signScope({ kind: "run", runId: options.runId }, options.secret);
  return joinBase(options.baseUrl, `/pikaci/runs/${encodeURIComponent(options.runId)}?sig=${sig}`);
}

/** `<baseUrl>/pikaci/repos/<owner>/<repo>?sig=…` — a repository's recent runs, and every run in it. */
export function signRepoUrl(options: {
  baseUrl: string;
  owner: string;
  repo: string;
  secret: string;
}): string {
  const sig = signScope({ kind: "repo", owner: options.owner, repo: options.repo }, options.secret);
  const path = `/pikaci/repos/${encodeURIComponent(options.owner)}/${encodeURIComponent(options.repo)}`;
  return joinBase(options.baseUrl, `${path}?sig=${sig}`);
}
