import type { ProbotOctokit } from "probot";
import { createRestClient, createWriteSpacing, type RestClient, type WriteSpacing } from "./client.js";
import { createTokenCache, tokenOf } from "./tokens.js";

/** A lean REST client for an installation, from the delivery's octokit (its base URL and its auth). */
export type RestFactory = (octokit: ProbotOctokit, installationId: number) => RestClient;

/**
 * One per App process: the installation tokens and the per-installation write spacing are shared
 * by every delivery. `throttle: false` is for a local stand-in of the API, as for Octokit.
 */
export function leanRestFactory({ throttle }: { throttle: boolean }): RestFactory {
  const tokens = createTokenCache();
  const spacings = new Map<number, WriteSpacing>();
  const spacingOf = (id: number) => {
    const spacing = spacings.get(id) ?? createWriteSpacing();
    spacings.set(id, spacing);
    return spacing;
  };
  return (octokit, installationId) =>
    createRestClient({
      baseUrl: octokit.request.endpoint.DEFAULTS.baseUrl,
      token: () => tokens.get(installationId, () => tokenOf(octokit)),
      ...(throttle ? { writeSpacing: spacingOf(installationId) } : {}),
    });
}
