import { type IngestResult, type IngestStore, ingestArtifactZip } from "./artifact.js";
import { describeHttpFailure } from "./http-failure.js";
import { DEFAULT_ZIP_LIMITS, type ZipLimits } from "./zip.js";

/** The two Actions endpoints ingest needs; `octokit.rest.actions` satisfies it. */
export interface ArtifactsApi {
  listWorkflowRunArtifacts(params: {
    owner: string;
    repo: string;
    run_id: number;
    per_page?: number;
    page?: number;
  }): Promise<{ data: { total_count?: number; artifacts: ArtifactSummary[] } }>;
  /** GitHub answers 302 to a short-lived blob URL; Octokit follows it and returns the zip's bytes. */
  downloadArtifact(params: {
    owner: string;
    repo: string;
    artifact_id: number;
    archive_format: string;
  }): Promise<{ data: unknown }>;
}

export interface ArtifactSummary {
  id: number;
  name: string;
  size_in_bytes: number;
  expired: boolean;
}

export interface WorkflowRunIngest {
  ingested: IngestResult[];
  skipped: { artifact: string; reason: string }[];
}

export const ARTIFACT_PREFIX = "pikaci-";

function toBuffer(data: unknown): Buffer {
  if (Buffer.isBuffer(data)) return data;
  if (data instanceof ArrayBuffer) return Buffer.from(data);
  if (ArrayBuffer.isView(data)) return Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  throw new TypeError(`artifact download returned ${typeof data}, not bytes`);
}

async function listPikaciArtifacts(actions: ArtifactsApi, owner: string, repo: string, runId: number) {
  const found: ArtifactSummary[] = [];
  for (let page = 1; page <= 10; page++) {
    const { data } = await actions.listWorkflowRunArtifacts({
      owner,
      repo,
      run_id: runId,
      per_page: 100,
      page,
    });
    found.push(...data.artifacts.filter((artifact) => artifact.name.startsWith(ARTIFACT_PREFIX)));
    if (data.artifacts.length < 100) break;
  }
  return found;
}

/**
 * On `workflow_run.completed`: find the run's `pikaci-<run_id>` artifacts, download each zip and store it.
 * Never throws: a missing, expired, oversized or corrupt artifact is logged and skipped, so a bad
 * upload cannot crash the App's webhook handler.
 */
export async function ingestWorkflowRun(options: {
  actions: ArtifactsApi;
  owner: string;
  repo: string;
  workflowRunId: number;
  store: IngestStore;
  limits?: ZipLimits;
  log?: (message: string) => void;
  /** The API's base URL, so a failure can tell GitHub's refusal from the storage host's. */
  apiUrl?: string;
}): Promise<WorkflowRunIngest> {
  const { actions, owner, repo, workflowRunId, store, limits = DEFAULT_ZIP_LIMITS } = options;
  const log = options.log ?? ((message: string) => console.warn(message));
  const result: WorkflowRunIngest = { ingested: [], skipped: [] };
  const where = `${owner}/${repo} workflow run ${workflowRunId}`;
  let artifacts: ArtifactSummary[];
  try {
    artifacts = await listPikaciArtifacts(actions, owner, repo, workflowRunId);
  } catch (error) {
    const reason = describeHttpFailure(error, options.apiUrl);
    log(`pikaci ingest: listing artifacts of ${where} failed, skipped: ${reason}`);
    result.skipped.push({ artifact: "(listing)", reason });
    return result;
  }
  for (const artifact of artifacts) {
    const skip = (reason: string) => {
      log(`pikaci ingest: artifact ${artifact.name} of ${where} skipped: ${reason}`);
      result.skipped.push({ artifact: artifact.name, reason });
    };
    if (artifact.expired) {
      skip("it has expired");
      continue;
    }
    if (artifact.size_in_bytes > limits.maxZipBytes) {
      skip(`it is ${artifact.size_in_bytes} bytes; the limit is ${limits.maxZipBytes}`);
      continue;
    }
    try {
      const response = await actions.downloadArtifact({
        owner,
        repo,
        artifact_id: artifact.id,
        archive_format: "zip",
      });
      const ingested = await ingestArtifactZip({ zip: toBuffer(response.data), store, limits });
      result.ingested.push(ingested);
    } catch (error) {
      skip(describeHttpFailure(error, options.apiUrl));
    }
  }
  return result;
}
