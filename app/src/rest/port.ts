import type { ProbotOctokit } from "probot";
import { listChangedFiles, type PullFilesRequest } from "../../../src/github/changed-files.js";
import { createEach } from "../create-each.js";
import type { GitHubPort } from "../github-port.js";
import { createOctokitPort, type RepoRef, statusOf } from "../octokit-port.js";
import { encodePart, type RestClient } from "./client.js";
import { createCheckRunsGraphql, graphqlCreatable } from "./graphql-checks.js";

/**
 * The GitHubPort with the per-delivery calls (config, changed files, check runs, dispatch) on the
 * lean REST client; the rarer ones (paged listings, compare, cancel, permissions) stay on Octokit.
 */
export function createLeanPort(params: {
  rest: RestClient;
  octokit: ProbotOctokit;
  repo: RepoRef;
  appId: number;
  /** The repository's GraphQL node id (`repository.node_id` of a delivery): check runs in one request. */
  repositoryNodeId?: string;
}): GitHubPort {
  const { rest, repo, repositoryNodeId } = params;
  const root = `/repos/${encodePart(repo.owner)}/${encodePart(repo.repo)}`;
  const filesPage: PullFilesRequest = async (_route, p) => {
    const page = p.page ? `&page=${p.page}` : "";
    const res = await rest({
      method: "GET",
      path: `${root}/pulls/${p.pull_number}/files?per_page=${p.per_page}${page}`,
    });
    return { data: res.data as { filename: string }[] };
  };
  return {
    ...createOctokitPort(params.octokit, repo, params.appId),

    async readFile(path, ref) {
      try {
        const res = await rest({
          method: "GET",
          path: `${root}/contents/${encodePart(path)}?ref=${encodePart(ref)}`,
          accept: "application/vnd.github.v3.raw",
          text: true,
        });
        return res.data as string;
      } catch (error) {
        if (statusOf(error) === 404) return null;
        throw error;
      }
    },

    async listChangedFiles(pr, knownCount) {
      return { files: await listChangedFiles({ request: filesPage, ...repo, pr, knownCount }) };
    },

    ...checkRunCalls(rest, root, repositoryNodeId),

    async dispatchWorkflow({ workflow, ref, inputs }) {
      const res = await rest({
        method: "POST",
        path: `${root}/actions/workflows/${encodePart(workflow)}/dispatches`,
        body: { ref, inputs, return_run_details: true },
      });
      const data = res.data as { workflow_run_id?: unknown } | string;
      const id = typeof data === "object" ? data?.workflow_run_id : undefined;
      return { workflowRunId: typeof id === "number" ? id : null };
    },
  };
}

/** Check runs: created one by one on REST, or together on GraphQL when the repository's node id is known. */
function checkRunCalls(
  rest: RestClient,
  root: string,
  repositoryNodeId: string | undefined,
): Pick<GitHubPort, "createCheckRun" | "createCheckRuns" | "updateCheckRun"> {
  const calls: Pick<GitHubPort, "createCheckRun" | "createCheckRuns" | "updateCheckRun"> = {
    async createCheckRun(run) {
      const res = await rest({ method: "POST", path: `${root}/check-runs`, body: run });
      return (res.data as { id: number }).id;
    },

    ...(repositoryNodeId
      ? {
          async createCheckRuns(runs) {
            if (graphqlCreatable(runs)) return createCheckRunsGraphql(rest, repositoryNodeId, runs);
            return createEach(calls, runs);
          },
        }
      : {}),

    async updateCheckRun(id, patch) {
      await rest({ method: "PATCH", path: `${root}/check-runs/${id}`, body: patch });
    },
  };
  return calls;
}
