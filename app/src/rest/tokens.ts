import type { ProbotOctokit } from "probot";

/**
 * Installation tokens for the lean REST client, held briefly per installation. They come from the
 * delivery's Octokit auth (probot's token cache: one token per installation, minted through the
 * Octokit's own base URL and hooks), not minted again. That cache hands out a token only while it
 * has at least a minute to live (it keeps them 59 of their 60 minutes) and does not say how long,
 * so a token is held here for well under that minute: asking per delivery was a cache lookup
 * keyed by a serialised options object and a hook chain, each time.
 */
export interface TokenCache {
  /** A valid token for the installation, held or from `mint` (one mint in flight per installation). */
  get(installationId: number, mint: () => Promise<string>): Promise<string>;
}

const HOLD_MS = 30_000;

export function createTokenCache(now: () => number = Date.now): TokenCache {
  const held = new Map<number, { token: string; until: number }>();
  const minting = new Map<number, Promise<string>>();
  return {
    get(installationId, mint) {
      const cached = held.get(installationId);
      if (cached && now() < cached.until) return Promise.resolve(cached.token);
      let pending = minting.get(installationId);
      if (!pending) {
        pending = mint()
          .then((token) => {
            held.set(installationId, { token, until: now() + HOLD_MS });
            return token;
          })
          .finally(() => minting.delete(installationId));
        minting.set(installationId, pending);
      }
      return pending;
    },
  };
}

type Hookable = ProbotOctokit & {
  auth: ProbotOctokit["auth"] & { hook?: (request: unknown, route: string) => Promise<unknown> };
};

/**
 * The installation token the Octokit would send, read off its auth hook: the hook authorises a
 * request and hands it on, and here the request it hands on only records the header. (Calling
 * `octokit.auth({ type: "installation" })` directly mints through probot's default request,
 * which ignores a configured base URL.)
 */
export async function tokenOf(octokit: ProbotOctokit): Promise<string> {
  const hook = (octokit as Hookable).auth.hook;
  if (!hook) throw new Error("the delivery's Octokit has no auth hook; cannot read its installation token");
  let authorization = "";
  const record = Object.assign(
    async (options: { headers: Record<string, string> }) => {
      authorization = options.headers.authorization ?? "";
      return { status: 200, headers: {}, data: null };
    },
    { endpoint: octokit.request.endpoint, defaults: octokit.request.defaults },
  );
  await hook(record, "GET /");
  const token = /^token (.+)$/.exec(authorization)?.[1];
  if (!token) throw new Error("the delivery's Octokit did not authorise as an installation");
  return token;
}
