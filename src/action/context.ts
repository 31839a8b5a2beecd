import { readFile } from "node:fs/promises";
import { UsageError } from "../errors/index.js";

/** What the action needs from the workflow environment, read once at the edge. */
export interface ActionContext {
  owner: string;
  repo: string;
  workspace: string;
  runnerTemp: string;
  apiUrl: string;
  /** The workflow run's page: the default `details_url`. */
  runUrl: string | undefined;
  eventName: string;
  /** The commit the lanes run on: the PR head for pull_request events, else GITHUB_SHA. */
  headSha: string;
  pullRequest: number | undefined;
  /** `pull_request.changed_files` from the event: past GitHub's listing cap no page is fetched. */
  pullRequestChangedFiles?: number | undefined;
}

interface EventPayload {
  pull_request?: { number?: number; changed_files?: number; head?: { sha?: string } };
}

export async function readEventPayload(eventPath: string | undefined): Promise<EventPayload> {
  if (!eventPath) return {};
  try {
    return JSON.parse(await readFile(eventPath, "utf8")) as EventPayload;
  } catch {
    return {};
  }
}

function required(env: NodeJS.ProcessEnv, name: string): string {
  const value = env[name];
  if (!value)
    throw new UsageError(`${name} is not set.`, { hint: "Run pikaci's action inside a GitHub Actions job." });
  return value;
}

export function actionContext(env: NodeJS.ProcessEnv, payload: EventPayload): ActionContext {
  const [owner, repo] = required(env, "GITHUB_REPOSITORY").split("/");
  if (!owner || !repo) throw new UsageError("GITHUB_REPOSITORY is not owner/name.");
  const server = env.GITHUB_SERVER_URL ?? "https://github.com";
  const runUrl = env.GITHUB_RUN_ID
    ? `${server}/${owner}/${repo}/actions/runs/${env.GITHUB_RUN_ID}`
    : undefined;
  const prHead = payload.pull_request?.head?.sha;
  return {
    owner,
    repo,
    workspace: env.GITHUB_WORKSPACE ?? process.cwd(),
    runnerTemp: required(env, "RUNNER_TEMP"),
    apiUrl: env.GITHUB_API_URL ?? "https://api.github.com",
    runUrl,
    eventName: env.GITHUB_EVENT_NAME ?? "",
    headSha: prHead ?? required(env, "GITHUB_SHA"),
    pullRequest: payload.pull_request?.number,
    pullRequestChangedFiles: payload.pull_request?.changed_files,
  };
}
