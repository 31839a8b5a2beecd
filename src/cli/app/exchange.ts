import { Octokit } from "@octokit/rest";
import { InfrastructureError } from "../../errors/index.js";

/** What the manifest conversion hands back that pikaci keeps. */
export interface AppCredentials {
  id: number;
  slug: string;
  htmlUrl: string;
  pem: string;
  webhookSecret: string;
}

/**
 * Trades the one-hour `code` GitHub put on the redirect for the App's credentials:
 * `POST /app-manifests/{code}/conversions`, unauthenticated. `baseUrl` is the REST API
 * (api.github.com, GHES's /api/v3, or a test's stand-in).
 */
export async function exchangeManifestCode(params: {
  code: string;
  baseUrl: string;
}): Promise<AppCredentials> {
  const octokit = new Octokit({ baseUrl: params.baseUrl, userAgent: "pikaci-app-register" });
  let data: Awaited<ReturnType<typeof octokit.rest.apps.createFromManifest>>["data"];
  try {
    ({ data } = await octokit.rest.apps.createFromManifest({ code: params.code }));
  } catch (cause) {
    const status = (cause as { status?: number }).status;
    throw new InfrastructureError(`GitHub refused the App manifest code (${status ?? "no answer"})`, {
      hint: "the code is valid for one hour and only once: run `pikaci app register` again",
      cause,
    });
  }
  if (!data?.pem || !data.webhook_secret) {
    throw new InfrastructureError("GitHub's answer has no private key or webhook secret", {
      hint: "delete the half-created App in GitHub's settings and register again",
    });
  }
  return {
    id: data.id,
    slug: data.slug ?? "",
    htmlUrl: data.html_url,
    pem: data.pem,
    webhookSecret: data.webhook_secret,
  };
}
