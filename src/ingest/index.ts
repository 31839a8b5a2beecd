export { type IngestResult, type IngestStore, ingestArtifactZip } from "./artifact.js";
export { InvalidArtifactError } from "./errors.js";
export {
  ARTIFACT_PREFIX,
  type ArtifactSummary,
  type ArtifactsApi,
  ingestWorkflowRun,
  type WorkflowRunIngest,
} from "./workflow-run.js";
export { checkEntryName, DEFAULT_ZIP_LIMITS, readZip, type ZipEntry, type ZipLimits } from "./zip.js";
