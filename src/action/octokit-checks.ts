import { Octokit } from "@octokit/rest";
import { listChangedFiles } from "../github/changed-files.js";
import type { CheckRunState, ChecksPort } from "./checks-port.js";

export interface GitHubTarget {
  token: string;
  owner: string;
  repo: string;
  /** GITHUB_API_URL (GitHub Enterprise, or a stand-in in tests). */
  baseUrl: string;
}

export function createOctokit(target: Pick<GitHubTarget, "token" | "baseUrl">): Octokit {
  return new Octokit({ auth: target.token, baseUrl: target.baseUrl, userAgent: "pikaci-action" });
}

const stateOf = (data: { status: string; conclusion?: string | null }): CheckRunState => ({
  status: data.status,
  conclusion: data.conclusion ?? null,
});

export function octokitChecks(octokit: Octokit, target: Pick<GitHubTarget, "owner" | "repo">): ChecksPort {
  const { owner, repo } = target;
  return {
    async create(params) {
      const { data } = await octokit.rest.checks.create({ owner, repo, ...params });
      return { id: data.id, html_url: data.html_url, ...stateOf(data) };
    },
    async update(id, params) {
      const { data } = await octokit.rest.checks.update({ owner, repo, check_run_id: id, ...params });
      return { id: data.id, html_url: data.html_url, ...stateOf(data) };
    },
    async get(id) {
      const { data } = await octokit.rest.checks.get({ owner, repo, check_run_id: id });
      return { id: data.id, html_url: data.html_url, ...stateOf(data) };
    },
  };
}

/**
 * Files changed by a pull request, or null past GitHub's 3000-file listing cap (every lane then
 * runs). The same implementation as the App's.
 */
export function pullRequestFiles(
  octokit: Octokit,
  target: Pick<GitHubTarget, "owner" | "repo">,
  pr: { number: number; changedFiles: number | undefined },
): Promise<string[] | null> {
  return listChangedFiles({
    request: octokit.request,
    ...target,
    pr: pr.number,
    knownCount: pr.changedFiles ?? null,
  });
}
