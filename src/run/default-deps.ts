import { buildSnapshot } from "../snapshot/build.js";
import type { SnapshotHasher } from "./ports.js";

/**
 * Build once per run; executors copy or sync the returned entries (docs/snapshot-hash.md). The
 * run's signal ends a long hash (a cancelled run, a superseded one) instead of reading on.
 */
export const defaultHashSnapshot: SnapshotHasher = (workspace, signal, { stateRoot, include }) =>
  buildSnapshot({ root: workspace, stateRoot, include, signal });
