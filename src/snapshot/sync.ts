import { randomBytes } from "node:crypto";
import { join } from "node:path";
import { Readable } from "node:stream";
import { InfrastructureError, UsageError } from "../errors/index.js";
import type { SyncStats } from "../schema/index.js";
import type { Transport } from "../ssh/transport.js";
import type { FileEntry, Snapshot } from "./entries.js";
import { objectName } from "./entries.js";
import { PRESENT_SCRIPT, PROBE_SCRIPT, PUBLISH_SCRIPT } from "./remote-scripts.js";
import { runScript, type ScriptContext } from "./run-script.js";
import { planSync } from "./sync-plan.js";
import { readSyncBase, type SyncBase, writeSyncBase } from "./sync-state.js";
import { buildTreeTar, uploadArchive } from "./sync-tar.js";

export interface SyncProgress {
  objectsSent: number;
  objectsTotal: number;
  bytesSent: number;
}

export interface SyncParams {
  transport: Transport;
  /** Absolute path on the build host; holds objects/, snapshots/ and tmp/. */
  remoteWorkDir: string;
  snapshot: Snapshot;
  localRoot: string;
  /** Where the last-synced base per host is remembered; default `<localRoot>/.pikaci/cache`. */
  cacheDir?: string;
  onProgress?(progress: SyncProgress): void;
  timeoutMs?: number;
}

export interface SyncResult {
  /** The tree to mount read-only at /workspace/snapshot. */
  remotePath: string;
  stats: SyncStats;
  /** True when this call's rename published the snapshot (false: reused, or a concurrent publisher won). */
  published: boolean;
}

/**
 * Content-addressed sync (docs/snapshot-hash.md, "Sync"): reuse a published snapshot in one round
 * trip; otherwise ask which objects the host lacks, and send them plus a small assembly archive
 * in one tar stream. The host builds the tree from hard links and publishes it by rename.
 */
export async function syncSnapshot(params: SyncParams): Promise<SyncResult> {
  const { transport, snapshot } = params;
  const workDir = params.remoteWorkDir.replace(/\/+$/, "");
  if (!workDir.startsWith("/") || workDir.includes("\0")) {
    throw new UsageError(
      `remote work dir must be an absolute path, got ${JSON.stringify(params.remoteWorkDir)}`,
      {
        hint: "set the host's work dir to an absolute path such as /var/lib/pikaci",
      },
    );
  }
  const ctx = { transport, workDir, hash: snapshot.hash, timeoutMs: params.timeoutMs };
  const cacheDir = params.cacheDir ?? join(params.localRoot, ".pikaci", "cache");
  const remotePath = `${workDir}/snapshots/${snapshot.hash}/tree`;
  const uniqueObjects = new Set(
    snapshot.entries.flatMap((e) => (e.type === "file" && e.size > 0 ? [objectName(e)] : [])),
  );
  const base = await readSyncBase(cacheDir, transport.description, workDir);

  const probe = await runScript(ctx, PROBE_SCRIPT, [workDir, snapshot.hash, base?.hash ?? ""]);
  const [status = "", ...rest] = probe.split("\n");
  if (status === "present") {
    checkMetadata(ctx, rest.join("\n"));
    await remember(cacheDir, transport, workDir, base, snapshot);
    const stats = statsOf(snapshot, {
      bytesSent: 0,
      objectsSent: 0,
      uniqueObjects: uniqueObjects.size,
      reused: true,
    });
    return { remotePath, stats, published: false };
  }
  if (status === "incomplete") {
    throw new InfrastructureError(
      `${workDir}/snapshots/${snapshot.hash} on ${transport.description} exists but has no pikaci-snapshot.json`,
      {
        hint: `remove ${workDir}/snapshots/${snapshot.hash} on the build host (or run pikaci gc), then rerun`,
      },
    );
  }
  const usableBase = status === "base" ? base : null;
  let upload: Awaited<ReturnType<typeof uploadSnapshot>>;
  try {
    upload = await uploadSnapshot(ctx, snapshot, usableBase, params.onProgress);
  } catch (error) {
    // The base can vanish between probe and publish (gc); a full sync does not need it.
    if (
      usableBase === null ||
      !(error instanceof InfrastructureError) ||
      error.message.includes("changed after")
    ) {
      throw error;
    }
    upload = await uploadSnapshot(ctx, snapshot, null, params.onProgress);
  }
  await remember(cacheDir, transport, workDir, base, snapshot);
  const stats = statsOf(snapshot, { ...upload, uniqueObjects: uniqueObjects.size, reused: false });
  return { remotePath, stats, published: upload.published };
}

type Ctx = ScriptContext & { hash: string };

async function uploadSnapshot(
  ctx: Ctx,
  snapshot: Snapshot,
  base: SyncBase | null,
  onProgress: SyncParams["onProgress"],
): Promise<{ bytesSent: number; objectsSent: number; published: boolean }> {
  const plan = planSync(snapshot.entries, base?.entries ?? null);
  let bytesSent = 0;
  let present = new Set<string>();
  if (plan.candidates.length > 0) {
    const query = plan.candidates.map((entry) => `${storeKey(entry)}\n`).join("");
    bytesSent += Buffer.byteLength(query);
    const out = await runScript(ctx, PRESENT_SCRIPT, [ctx.workDir], query);
    present = new Set(out.split("\n").filter((line) => line !== ""));
  }
  const objects = plan.candidates.filter((entry) => !present.has(storeKey(entry)));
  const id = randomBytes(6).toString("hex");
  const treeTar = buildTreeTar({
    treePath: `snapshots/.staging-${snapshot.hash}-${id}/tree`,
    added: plan.added,
    includeRoot: base === null,
    uploaded: { names: new Set(objects.map(objectName)), dir: `tmp/${id}` },
  });
  const meta = `${JSON.stringify(
    {
      content_hash: snapshot.hash,
      files: snapshot.files,
      bytes: snapshot.bytes,
      created_at: new Date().toISOString(),
    },
    null,
    2,
  )}\n`;
  let uploaded = 0;
  let objectsSent = 0;
  const archive = uploadArchive({
    root: snapshot.root,
    objects,
    removals: plan.removals,
    treeTar,
    meta,
    onObject: () => objectsSent++,
  });
  // A failure while producing the archive (a file changed) must win over the transport's error.
  let producerError: unknown = null;
  const counted = async function* () {
    try {
      for await (const chunk of archive) {
        uploaded += chunk.length;
        onProgress?.({ objectsSent, objectsTotal: objects.length, bytesSent: bytesSent + uploaded });
        yield chunk;
      }
    } catch (error) {
      producerError = error;
      throw error;
    }
  };
  const publishArgs = [ctx.workDir, snapshot.hash, id, base?.hash ?? ""];
  let out: string;
  try {
    out = await runScript(ctx, PUBLISH_SCRIPT, publishArgs, Readable.from(counted()));
  } catch (error) {
    throw producerError ?? error;
  }
  if (producerError) throw producerError;
  const [status = "", ...rest] = out.split("\n");
  if (status === "lost") checkMetadata(ctx, rest.join("\n"));
  return { bytesSent: bytesSent + uploaded, objectsSent, published: status === "published" };
}

function storeKey(entry: FileEntry): string {
  return `${entry.digest.slice(0, 2)}/${objectName(entry)}`;
}

function checkMetadata(ctx: Ctx, text: string): void {
  let contentHash: unknown;
  try {
    contentHash = (JSON.parse(text) as { content_hash?: unknown }).content_hash;
  } catch {
    contentHash = undefined;
  }
  if (contentHash !== ctx.hash) {
    throw new InfrastructureError(
      `${ctx.workDir}/snapshots/${ctx.hash}/pikaci-snapshot.json on ${ctx.transport.description} ` +
        `does not name content_hash ${ctx.hash} (found ${JSON.stringify(contentHash ?? null)})`,
      {
        hint: `remove ${ctx.workDir}/snapshots/${ctx.hash} on the build host (or run pikaci gc), then rerun`,
      },
    );
  }
}

async function remember(
  cacheDir: string,
  transport: Transport,
  workDir: string,
  base: SyncBase | null,
  snapshot: Snapshot,
): Promise<void> {
  if (base?.hash === snapshot.hash) return;
  // Best effort: without it the next sync is a full one, not a wrong one.
  await writeSyncBase(cacheDir, transport.description, workDir, {
    hash: snapshot.hash,
    entries: snapshot.entries,
  }).catch(() => {});
}

function statsOf(
  snapshot: Snapshot,
  sent: { bytesSent: number; objectsSent: number; uniqueObjects: number; reused: boolean },
): SyncStats {
  return {
    snapshot_hash: snapshot.hash,
    files: snapshot.files,
    bytes_total: snapshot.bytes,
    bytes_sent: sent.bytesSent,
    objects_sent: sent.objectsSent,
    objects_reused: sent.uniqueObjects - sent.objectsSent,
    snapshot_reused: sent.reused,
  };
}
