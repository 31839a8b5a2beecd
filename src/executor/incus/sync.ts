import type { SyncStats } from "../../schema/index.js";
import type { Snapshot } from "../../snapshot/entries.js";
import type { Transport } from "../../transport/transport.js";

/** Makes `snapshots/<hash>/` exist on the build host; returns where, and what it cost this job. */
export type SnapshotSyncer = (params: {
  snapshot: Snapshot;
  signal: AbortSignal;
  log: (line: string) => void;
}) => Promise<{ remotePath: string; stats: SyncStats }>;

interface SyncerParams {
  transport: Transport;
  remoteWorkDir: string;
  /** pikaci's state directory: the last-synced base per host is remembered under `<stateRoot>/cache`. */
  stateRoot?: string;
}

/**
 * The content-addressed sync, once per snapshot hash per executor: lanes of one run share the
 * snapshot, so the first job uploads and the others wait for it and record that they reused it.
 * The snapshot's entries are sent as the run built them; every uploaded file is re-hashed as it is
 * read, so a file edited since fails the job with a SnapshotChangedError.
 */
export function createSnapshotSyncer(params: SyncerParams): SnapshotSyncer {
  const inflight = new Map<string, Promise<{ remotePath: string; stats: SyncStats }>>();
  return async ({ snapshot }) => {
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
    const started = syncOnce(params, snapshot);
    inflight.set(snapshot.hash, started);
    // A failed sync must not poison later attempts (the scheduler retries infrastructure failures).
    started.catch(() => inflight.delete(snapshot.hash));
    return started;
  };
}

async function syncOnce(
  params: SyncerParams,
  snapshot: Snapshot,
): Promise<{ remotePath: string; stats: SyncStats }> {
  const { syncSnapshot } = await import("../../snapshot/sync.js");
  return syncSnapshot({
    transport: params.transport,
    remoteWorkDir: params.remoteWorkDir,
    snapshot,
    localRoot: snapshot.root,
    ...(params.stateRoot === undefined ? {} : { stateRoot: params.stateRoot }),
    onProgress: () => {},
  });
}
