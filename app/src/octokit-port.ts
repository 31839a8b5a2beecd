import type { ProbotOctokit } from "probot";
import { listChangedFiles } from "../../src/github/changed-files.js";
import { type GitHubPort, toCheckRunInfo } from "./github-port.js";

/** The compare API lists at most 300 files. */
export const GITHUB_COMPARE_FILES_LIMIT = 300;

export interface RepoRef {
  owner: string;
  repo: string;
}

/** The GitHubPort over probot's installation-authenticated octokit. */
export function createOctokitPort(octokit: ProbotOctokit, repo: RepoRef, appId: number): GitHubPort {
  return {
    ...contentCalls(octokit, repo),
    ...checkCalls(octokit, repo, appId),
    ...actionCalls(octokit, repo),
  };
}

type PortPart<K extends keyof GitHubPort> = Pick<GitHubPort, K>;

/** What changed and what a file says. */
function contentCalls(
  octokit: ProbotOctokit,
  repo: RepoRef,
): PortPart<"readFile" | "listChangedFiles" | "compareFiles"> {
  return {
    async readFile(path, ref) {
      try {
        const res = await octokit.rest.repos.getContent({ ...repo, path, ref, mediaType: { format: "raw" } });
        return asText(res.data);
      } catch (error) {
        if (statusOf(error) === 404) return null;
        throw error;
      }
    },

    async listChangedFiles(pr, knownCount) {
      return { files: await listChangedFiles({ request: octokit.request, ...repo, pr, knownCount }) };
    },

    async compareFiles(base, head) {
      try {
        // No paging parameters: GitHub then returns the whole file list (up to its limit).
        const res = await octokit.rest.repos.compareCommitsWithBasehead({
          ...repo,
          basehead: `${base}...${head}`,
        });
        const files = res.data.files ?? [];
        if (files.length >= GITHUB_COMPARE_FILES_LIMIT) return { files: null };
        return {
          files: files.flatMap((f) =>
            f.previous_filename ? [f.filename, f.previous_filename] : [f.filename],
          ),
        };
      } catch (error) {
        // The old head was force-pushed away (404) or shares no history (422): nothing to compare.
        if (statusOf(error) === 404 || statusOf(error) === 422) return { files: null };
        throw error;
      }
    },
  };
}

function checkCalls(
  octokit: ProbotOctokit,
  repo: RepoRef,
  appId: number,
): PortPart<"createCheckRun" | "updateCheckRun" | "listOwnCheckRuns"> {
  return {
    async createCheckRun(run) {
      const res = await octokit.rest.checks.create({ ...repo, ...run });
      return res.data.id;
    },

    async updateCheckRun(id, patch) {
      await octokit.rest.checks.update({ ...repo, check_run_id: id, ...patch });
    },

    async listOwnCheckRuns(sha) {
      const runs = await octokit
        .paginate(octokit.rest.checks.listForRef, {
          ...repo,
          ref: sha,
          app_id: appId,
          // Not "latest": that is per name, and two pull requests at one commit share lane names.
          filter: "all",
          per_page: 100,
        })
        .catch((error: unknown) => {
          // An unknown commit (force-pushed away, or never seen) simply has no check runs.
          if (statusOf(error) === 404 || statusOf(error) === 422) return [];
          throw error;
        });
      return runs.map(toCheckRunInfo);
    },
  };
}

function actionCalls(
  octokit: ProbotOctokit,
  repo: RepoRef,
): PortPart<"dispatchWorkflow" | "cancelWorkflowRun" | "permissionOf"> {
  return {
    async dispatchWorkflow({ workflow, ref, inputs }) {
      const res = await octokit.request(
        "POST /repos/{owner}/{repo}/actions/workflows/{workflow_id}/dispatches",
        {
          ...repo,
          workflow_id: workflow,
          ref,
          inputs,
          return_run_details: true,
        },
      );
      const data = res.data as { workflow_run_id?: number } | undefined;
      return { workflowRunId: typeof data?.workflow_run_id === "number" ? data.workflow_run_id : null };
    },

    async cancelWorkflowRun(id) {
      try {
        await octokit.rest.actions.cancelWorkflowRun({ ...repo, run_id: id });
      } catch (error) {
        // 409: the run already finished, which is what we wanted.
        if (statusOf(error) !== 409) throw error;
      }
    },

    async permissionOf(login) {
      try {
        const res = await octokit.rest.repos.getCollaboratorPermissionLevel({ ...repo, username: login });
        // `permission` folds custom and maintain/triage roles onto admin/write/read/none.
        return res.data.permission;
      } catch (error) {
        if (statusOf(error) === 404) return "none";
        throw error;
      }
    },
  };
}

export function statusOf(error: unknown): number | null {
  const status = (error as { status?: unknown } | null)?.status;
  return typeof status === "number" ? status : null;
}

/**
 * The raw media type comes back as a string or, depending on the Content-Type GitHub (or a
 * proxy) sends, as bytes; never stringify an ArrayBuffer into "[object ArrayBuffer]".
 */
function asText(data: unknown): string {
  if (typeof data === "string") return data;
  if (data instanceof ArrayBuffer) return new TextDecoder().decode(data);
  if (ArrayBuffer.isView(data))
    return Buffer.from(data.buffer, data.byteOffset, data.byteLength).toString("utf8");
  throw new Error("GitHub returned the file in an unexpected form; expected raw text");
}
