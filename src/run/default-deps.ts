import { buildSnapshot } from "../snapshot/build.js";
import type { SnapshotHasher } from "./ports.js";

/** Build once per run; executors copy or sync the returned entries (docs/snapshot-hash.md). */
export const defaultHashSnapshot: SnapshotHasher = (workspace, _signal, { stateRoot, include }) =>
  buildSnapshot({ root: workspace, stateRoot, include });
