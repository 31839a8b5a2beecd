export { atomicWriteFile, isTempFileName } from "./atomic.js";
export { CappedLogFile, type LogTruncation, truncationMarker } from "./capped-log.js";
export { readFileEnd } from "./file-end.js";
export { assertJobId, assertRunId, newRunId } from "./ids.js";
export {
  JOBS_DIR,
  type LogKind,
  logFileName,
  PLAN_FILE,
  parseJobLogPath,
  RUN_FILE,
  resolveStateRoot,
  StoreLayout,
} from "./layout.js";
export { runArtifactFiles } from "./run-files.js";
export { createStateStore, type LogContent, type LogMetadata, type StateStore } from "./store.js";
