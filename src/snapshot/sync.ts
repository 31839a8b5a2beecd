import { join } from "node:path";
import { InfrastructureError, SnapshotChangedError, UsageError } from "../errors/index.js";
import type { SyncStats } from "../schema/index.js";
import type { Transport } from "../transport/transport.js";
import { defaultBaseKey, lineageKey } from "./base-key.js";
import type { Snapshot, SnapshotEntry } from "./entries.js";
import { objectName } from "./entries.js";
import { probeHost } from "./sync-probe.js";
import { readSyncBase, writeSyncBase } from "./sync-state.js";
import { type SyncProgress, type UploadResult, uploadSnapshot } from "./sync-upload.js";

export type { SyncProgress } from "./sync-upload.js";

export interface SyncParams {
  transport: Transport;
  /** Absolute path on the build host; holds objects/, snapshots/, bases/ and tmp/. */
  remoteWorkDir: string;
  snapshot: Snapshot;
  localRoot: string;
  /**
   * Where the last-synced base per host is remembered. Default: `<stateRoot>/cache` when
   * `stateRoot` is given, else `<localRoot>/.pikaci/cache`.
   */
  cacheDir?: string;
  /** pikaci's state directory (`--state-root`): keeps sync state out of the workspace. */
  stateRoot?: string;
  /**
   * Names the workspace's lineage on the host, whose last published snapshot is the delta base
   * for clients that remember none (a fresh CI runner). Default: the git `origin` URL without
   * credentials, else the directory name (see base-key.ts). null: no host-side base.
   */
  baseKey?: string | null;
  onProgress?(progress: SyncProgress): void;
  timeoutMs?: number;
}

export interface SyncResult {
  /** The tree to mount read-only at /workspace/snapshot. */
  remotePath: string;
  stats: SyncStats;
  /** True when this call's rename published the snapshot (false: reused, or a concurrent publisher won). */
  published: boolean;
  /** Which base the delta was computed against: this machine's memory, the host's lineage, or none. */
  baseSource?: "local" | "host" | null;
}

/**
 * Content-addressed sync (docs/snapshot-hash.md, "Sync"): reuse a published snapshot in one round
 * trip; otherwise diff against a base the host has (remembered locally, or the lineage's last
 * snapshot whose manifest the probe downloads), ask which objects the host lacks, and send them
 * plus a small assembly archive in one tar stream. The host publishes by rename.
 */
export async function syncSnapshot(params: SyncParams): Promise<SyncResult> {
  const { transport, snapshot } = params;
  const workDir = params.remoteWorkDir.replace(/\/+$/, "");
  if (!workDir.startsWith("/") || workDir.includes("\0")) {
    throw new UsageError(
      `remote work dir must be an absolute path, got ${JSON.stringify(params.remoteWorkDir)}`,
      { hint: "set the host's work dir to an absolute path such as /var/lib/pikaci" },
    );
  }
  const received = { bytes: 0 };
  const ctx = { transport, workDir, hash: snapshot.hash, timeoutMs: params.timeoutMs, received };
  const cacheDir = params.cacheDir ?? defaultSyncCacheDir(params);
  const baseKey = params.baseKey === undefined ? await defaultBaseKey(params.localRoot) : params.baseKey;
  const lineage = baseKey === null ? "" : lineageKey(baseKey);
  const remotePath = `${workDir}/snapshots/${snapshot.hash}/tree`;
  const localBase = await readSyncBase(cacheDir, transport.description, workDir);
  const remember = () => rememberBase(cacheDir, transport, workDir, localBase?.hash, snapshot);

  const probe = await probeHost(ctx, localBase?.hash ?? "", lineage);
  if (probe.status === "present") {
    await remember();
    const sent = { bytesSent: 0, objectsSent: 0, published: false };
    return {
      remotePath,
      stats: statsOf(snapshot, sent, received.bytes, true),
      published: false,
      baseSource: null,
    };
  }
  let base: { hash: string; entries: readonly SnapshotEntry[] } | null = null;
  if (probe.status === "base") base = localBase;
  else if (probe.status === "hostbase" && probe.entries !== null)
    base = { hash: probe.hash, entries: probe.entries };
  const upload = (from: typeof base) =>
    uploadSnapshot({ ctx, snapshot, base: from, lineage, onProgress: params.onProgress });
  let sent: UploadResult;
  let baseSource: SyncResult["baseSource"] =
    base === null ? null : probe.status === "base" ? "local" : "host";
  try {
    sent = await upload(base);
  } catch (error) {
    // The base can vanish between probe and publish (gc); a full sync does not need it.
    if (base === null || !(error instanceof InfrastructureError) || error instanceof SnapshotChangedError) {
      throw error;
    }
    sent = await upload(null);
    baseSource = null;
  }
  await remember();
  return {
    remotePath,
    stats: statsOf(snapshot, sent, received.bytes, false),
    published: sent.published,
    baseSource,
  };
}

function defaultSyncCacheDir(params: Pick<SyncParams, "localRoot" | "stateRoot">): string {
  return params.stateRoot === undefined
    ? join(params.localRoot, ".pikaci", "cache")
    : join(params.stateRoot, "cache");
}

async function rememberBase(
  cacheDir: string,
  transport: Transport,
  workDir: string,
  previous: string | undefined,
  snapshot: Snapshot,
): Promise<void> {
  if (previous === snapshot.hash) return;
  // Best effort: without it the next sync diffs against the host's lineage base, or is a full one.
  await writeSyncBase(cacheDir, transport.description, workDir, {
    hash: snapshot.hash,
    entries: snapshot.entries,
  }).catch(() => {});
}

function statsOf(snapshot: Snapshot, sent: UploadResult, bytesReceived: number, reused: boolean): SyncStats {
  const uniqueObjects = new Set(
    snapshot.entries.flatMap((e) => (e.type === "file" && e.size > 0 ? [objectName(e)] : [])),
  );
  return {
    snapshot_hash: snapshot.hash,
    files: snapshot.files,
    bytes_total: snapshot.bytes,
    bytes_sent: sent.bytesSent,
    bytes_received: bytesReceived,
    objects_sent: sent.objectsSent,
    objects_reused: uniqueObjects.size - sent.objectsSent,
    snapshot_reused: reused,
  };
}
