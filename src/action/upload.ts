import { createHash } from "node:crypto";
import path from "node:path";
import { describeError } from "../errors/index.js";
import type { PlanRecord, RunRecord } from "../schema/index.js";
import { type ArtifactPort, stageArtifact } from "./artifacts.js";
import type { ActionContext } from "./context.js";
import type { ActionInputs } from "./inputs.js";

/**
 * `pikaci-<run_id>`, or the `artifact-name` input. A dispatched job that runs a subset of the lanes
 * (one job of a matrix) shares its run id with its siblings, and GitHub refuses a second artifact of
 * the same name in one workflow run: its name gets 8 hex of its lane ids (the App ingests every
 * `pikaci-*` artifact of the workflow run).
 */
export function artifactName(
  inputs: Pick<ActionInputs, "artifact-name" | "lanes" | "check-runs">,
  runId: string,
): string {
  if (inputs["artifact-name"]) return inputs["artifact-name"];
  if (!inputs.lanes || !inputs["check-runs"]) return `pikaci-${runId}`;
  const lanes = [...inputs.lanes].sort().join(",");
  return `pikaci-${runId}-${createHash("sha256").update(lanes).digest("hex").slice(0, 8)}`;
}

/** Upload the run's records and logs as one artifact, every secret masked; a failure is a warning. */
export async function uploadRecords(p: {
  inputs: Pick<ActionInputs, "artifact-name" | "retention-days" | "lanes" | "check-runs">;
  context: Pick<ActionContext, "runnerTemp">;
  artifacts: ArtifactPort;
  log: { info(message: string): void; warning(message: string): void };
  secrets: readonly string[];
  runId: string;
  runDir: string;
  record: RunRecord;
  plan: PlanRecord | undefined;
}): Promise<void> {
  try {
    const stagingDir = path.join(p.context.runnerTemp, `pikaci-artifact-${p.runId}`);
    // The record as concluded: after a cancel the engine's run.json on disk may not be terminal yet.
    const files = await stageArtifact({
      runDir: p.runDir,
      stagingDir,
      secrets: p.secrets,
      record: p.record,
      ...(p.plan ? { plan: p.plan } : {}),
    });
    const name = artifactName(p.inputs, p.runId);
    const retention = p.inputs["retention-days"];
    await p.artifacts.upload({
      name,
      files,
      rootDirectory: stagingDir,
      ...(retention === undefined ? {} : { retentionDays: retention }),
    });
    p.log.info(`Uploaded artifact ${name} (${files.length} files).`);
  } catch (error) {
    p.log.warning(`Could not upload the run's records as an artifact: ${describeError(error)}`);
  }
}
