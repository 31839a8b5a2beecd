import { buildSnapshot } from "../snapshot/build.js";
import type { SnapshotHasher } from "./ports.js";

/** Hash once per run; executors take `root` and `hash` and list or sync from there. */
export const defaultHashSnapshot: SnapshotHasher = async (workspace, _signal, { stateRoot, include }) => {
  const snapshot = await buildSnapshot({ root: workspace, stateRoot, include });
  return {
    root: snapshot.root,
    hash: snapshot.hash,
    ...(stateRoot === undefined ? {} : { stateRoot }),
    ...(include === undefined || include.length === 0 ? {} : { include }),
  };
};
