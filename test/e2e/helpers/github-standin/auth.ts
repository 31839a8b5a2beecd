import { createPublicKey, randomBytes, verify } from "node:crypto";

/**
 * Who a request speaks for. GitHub accepts an App's JWT (RS256, signed with the App's private key,
 * `iss` the App id, at most 10 minutes long) only on /app endpoints, and an installation token on a
 * repository's endpoints. Only the App that created a check run may update it, so a token records
 * the App it belongs to (`github-actions` for a workflow's GITHUB_TOKEN).
 */
export type Principal =
  | { kind: "app-jwt"; appId: number }
  | { kind: "installation"; appId: number; token: string; holder: string };

export interface Auth {
  /**
   * An installation token of `appId` (what `POST /app/installations/{id}/access_tokens` returns).
   * `holder` says who got it (`app`, `workflow run 90001`), so a test can tell who sent what.
   */
  mintInstallationToken(appId: number, holder: string): { token: string; expires_at: string };
  /** The principal behind an Authorization header, or a reason GitHub would answer 401. */
  identify(header: string | undefined): Principal | { problem: string };
}

/** The App id GitHub Actions' own GITHUB_TOKEN belongs to. */
export const GITHUB_ACTIONS_APP_ID = 15368;

export function createAuth(apps: { appId: number; privateKeyPem: string }[]): Auth {
  const tokens = new Map<string, { appId: number; holder: string }>();
  const keys = new Map(apps.map((a) => [a.appId, createPublicKey(a.privateKeyPem)]));
  return {
    mintInstallationToken(appId, holder) {
      const token = `ghs_${randomBytes(18).toString("base64url")}`;
      tokens.set(token, { appId, holder });
      return { token, expires_at: new Date(Date.now() + 3_600_000).toISOString().replace(/\.\d+Z$/, "Z") };
    },
    identify(header) {
      const match = /^(token|bearer) (\S+)$/i.exec(header ?? "");
      if (!match) return { problem: "Requires authentication" };
      const credential = match[2]!;
      const known = tokens.get(credential);
      if (known) return { kind: "installation", ...known, token: credential };
      if (credential.split(".").length === 3) return verifyJwt(credential, keys);
      return { problem: "Bad credentials" };
    },
  };
}

function verifyJwt(
  jwt: string,
  keys: Map<number, ReturnType<typeof createPublicKey>>,
): Principal | { problem: string } {
  const [header, payload, signature] = jwt.split(".") as [string, string, string];
  let claims: { iss?: unknown; iat?: unknown; exp?: unknown };
  let alg: unknown;
  try {
    alg = (JSON.parse(Buffer.from(header, "base64url").toString()) as { alg?: unknown }).alg;
    claims = JSON.parse(Buffer.from(payload, "base64url").toString()) as typeof claims;
  } catch {
    return { problem: "A JSON web token could not be decoded" };
  }
  const appId = Number(claims.iss);
  const key = keys.get(appId);
  if (alg !== "RS256" || !key) return { problem: "A JSON web token could not be decoded" };
  const ok = verify(
    "RSA-SHA256",
    Buffer.from(`${header}.${payload}`),
    key,
    Buffer.from(signature, "base64url"),
  );
  if (!ok) return { problem: "A JSON web token could not be decoded" };
  const now = Math.floor(Date.now() / 1000);
  const iat = Number(claims.iat);
  const exp = Number(claims.exp);
  if (!(exp > now) || !(iat <= now + 60) || exp - iat > 600)
    return { problem: "'Expiration time' claim ('exp') is too far in the future, or the JWT expired" };
  return { kind: "app-jwt", appId };
}
