import type { SyncStats } from "../../schema/index.js";
import type { SnapshotRef } from "../../snapshot/entries.js";
import type { Transport } from "../../transport/transport.js";

/** Makes `snapshots/<hash>/` exist on the build host; returns where, and what it cost this job. */
export type SnapshotSyncer = (params: {
  snapshot: SnapshotRef;
  signal: AbortSignal;
  log: (line: string) => void;
}) => Promise<{ remotePath: string; stats: SyncStats }>;

/**
 * The content-addressed sync, once per snapshot hash per executor: lanes of one run share the
 * snapshot, so the first job uploads and the others wait for it and record that they reused it.
 */
export function createSnapshotSyncer(params: {
  transport: Transport;
  remoteWorkDir: string;
}): SnapshotSyncer {
  const inflight = new Map<string, Promise<{ remotePath: string; stats: SyncStats }>>();
  return async ({ snapshot, log }) => {
    const existing = inflight.get(snapshot.hash);
    if (existing) {
      const shared = await existing;
      return {
        remotePath: shared.remotePath,
        stats: {
          ...shared.stats,
          bytes_sent: 0,
          objects_sent: 0,
          objects_reused: shared.stats.files,
          snapshot_reused: true,
        },
      };
    }
    const started = syncOnce({ ...params, snapshot, log });
    inflight.set(snapshot.hash, started);
    // A failed sync must not poison later attempts (the scheduler retries infrastructure failures).
    started.catch(() => inflight.delete(snapshot.hash));
    return started;
  };
}

async function syncOnce(params: {
  transport: Transport;
  remoteWorkDir: string;
  snapshot: SnapshotRef;
  log: (line: string) => void;
}): Promise<{ remotePath: string; stats: SyncStats }> {
  const { buildSnapshot } = await import("../../snapshot/build.js");
  const { syncSnapshot } = await import("../../snapshot/sync.js");
  // Re-listing is cheap: the digest cache makes an unchanged tree a stat walk.
  const { root, stateRoot, include } = params.snapshot;
  const built = await buildSnapshot({ root, stateRoot, include });
  if (built.hash !== params.snapshot.hash) {
    throw new Error(
      `the workspace changed while the run was starting (hash ${params.snapshot.hash.slice(0, 12)} became ${built.hash.slice(0, 12)})`,
    );
  }
  return syncSnapshot({
    transport: params.transport,
    remoteWorkDir: params.remoteWorkDir,
    snapshot: built,
    localRoot: params.snapshot.root,
    ...(params.snapshot.stateRoot === undefined ? {} : { stateRoot: params.snapshot.stateRoot }),
    onProgress: () => {},
  });
}
