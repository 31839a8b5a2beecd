export { defaultBaseKey } from "./base-key.js";
export { type BuildSnapshotParams, buildSnapshot, defaultDigestCacheFile } from "./build.js";
export { objectName, type Snapshot, type SnapshotEntry } from "./entries.js";
export { isExcluded, METADATA_FILE } from "./excludes.js";
export { comparePaths, encodeEntry, HASH_PREFIX, hashSortedEntries, sortEntries } from "./hash-spec.js";
export { type SyncParams, type SyncProgress, type SyncResult, syncSnapshot } from "./sync.js";
export { type VerifyResult, verifyRemoteSnapshot } from "./verify.js";
