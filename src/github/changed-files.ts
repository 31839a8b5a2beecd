/**
 * A pull request's changed files, as both the App (lane selection before dispatch) and the Action
 * (standalone lane selection) list them. One implementation, so GitHub's listing cap is honoured
 * by every entry point.
 */

/** GitHub stops listing a pull request's files at 3000 (`GET /pulls/{n}/files`, 30 pages of 100). */
export const GITHUB_PR_FILES_LIMIT = 3000;

/** Said wherever lanes were selected without a file list because the pull request is over the cap. */
export const OVER_LIMIT_NOTE =
  "GitHub lists at most 3000 changed files and this pull request has more, so every lane was selected.";

const PER_PAGE = 100;

export interface PullFile {
  filename: string;
  previous_filename?: string | undefined;
}

/**
 * The one GitHub call this needs; both `@octokit/rest` and probot's octokit satisfy it through
 * `octokit.request`.
 */
export type PullFilesRequest = (
  route: "GET /repos/{owner}/{repo}/pulls/{pull_number}/files",
  params: { owner: string; repo: string; pull_number: number; per_page: number; page?: number },
) => Promise<{ data: PullFile[] }>;

/**
 * Paths changed by the pull request, or null when GitHub's listing cap was reached (the list is
 * then incomplete, and a lane selection made from it would silently drop lanes). Pure.
 * A rename changes both paths; lanes watching the old one must run too.
 */
export function changedPaths(files: readonly PullFile[]): string[] | null {
  if (files.length >= GITHUB_PR_FILES_LIMIT) return null;
  return files.flatMap((f) => (f.previous_filename ? [f.filename, f.previous_filename] : [f.filename]));
}

/**
 * List the files page by page and stop at the cap. `knownCount` is `pull_request.changed_files`
 * when the caller has it: past the cap, no page is fetched at all.
 */
export async function listChangedFiles(params: {
  request: PullFilesRequest;
  owner: string;
  repo: string;
  pr: number;
  knownCount?: number | null;
}): Promise<string[] | null> {
  const { request, owner, repo, pr, knownCount } = params;
  if (typeof knownCount === "number" && knownCount >= GITHUB_PR_FILES_LIMIT) return null;
  const files: PullFile[] = [];
  for (let page = 1; files.length < GITHUB_PR_FILES_LIMIT; page++) {
    const { data } = await request("GET /repos/{owner}/{repo}/pulls/{pull_number}/files", {
      owner,
      repo,
      pull_number: pr,
      per_page: PER_PAGE,
      // The first page is GitHub's default; asking for it as `octokit.paginate` does keeps requests identical.
      ...(page > 1 ? { page } : {}),
    });
    files.push(...data);
    if (data.length < PER_PAGE) break;
  }
  return changedPaths(files);
}
