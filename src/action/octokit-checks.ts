import { Octokit } from "@octokit/rest";
import type { ChecksPort } from "./checks-port.js";

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

export function octokitChecks(octokit: Octokit, target: Pick<GitHubTarget, "owner" | "repo">): ChecksPort {
  const { owner, repo } = target;
  return {
    async create(params) {
      const { data } = await octokit.rest.checks.create({ owner, repo, ...params });
      return { id: data.id, html_url: data.html_url };
    },
    async update(id, params) {
      const { data } = await octokit.rest.checks.update({ owner, repo, check_run_id: id, ...params });
      return { id: data.id, html_url: data.html_url };
    },
  };
}

/** Files changed by a pull request (the API caps the list at 3000); null when they cannot be listed. */
export async function pullRequestFiles(
  octokit: Octokit,
  target: Pick<GitHubTarget, "owner" | "repo">,
  pullNumber: number,
): Promise<string[]> {
  const files = await octokit.paginate(octokit.rest.pulls.listFiles, {
    ...target,
    pull_number: pullNumber,
    per_page: 100,
  });
  return files.flatMap((f) => (f.previous_filename ? [f.filename, f.previous_filename] : [f.filename]));
}
