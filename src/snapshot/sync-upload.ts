import { randomBytes } from "node:crypto";
import { Readable } from "node:stream";
import { gzipSync } from "node:zlib";
import type { FileEntry, Snapshot, SnapshotEntry } from "./entries.js";
import { objectName } from "./entries.js";
import { manifestKey, manifestLine } from "./manifest.js";
import { PRESENT_SCRIPT, PUBLISH_SCRIPT } from "./remote-scripts.js";
import { runScript, type ScriptContext } from "./run-script.js";
import { checkMetadata, metadataJson } from "./sync-metadata.js";
import { planSync, type SyncPlan } from "./sync-plan.js";
import { buildTreeTar, uploadArchive } from "./sync-tar.js";

export interface SyncProgress {
  objectsSent: number;
  objectsTotal: number;
  bytesSent: number;
}

export interface UploadResult {
  bytesSent: number;
  objectsSent: number;
  published: boolean;
}

/**
 * Two round trips: which objects outside the base does the host lack, then one tar stream with
 * those objects, the delta against the base and the metadata, which the publish script unpacks,
 * assembles in a staging dir and publishes by rename.
 */
export async function uploadSnapshot(params: {
  ctx: ScriptContext & { hash: string };
  snapshot: Snapshot;
  base: { hash: string; entries: readonly SnapshotEntry[] } | null;
  lineage: string;
  onProgress: ((progress: SyncProgress) => void) | undefined;
}): Promise<UploadResult> {
  const { ctx, snapshot, base } = params;
  const plan = planSync(snapshot.entries, base?.entries ?? null);
  const asked = await missingObjects(ctx, plan.candidates);
  const objects = asked.missing;
  const id = randomBytes(6).toString("hex");
  const treeTar = buildTreeTar({
    treePath: `snapshots/.staging-${snapshot.hash}-${id}/tree`,
    added: plan.added,
    includeRoot: base === null,
    uploaded: { names: new Set(objects.map(objectName)), dir: `tmp/${id}` },
  });
  let objectsSent = 0;
  const archive = uploadArchive({
    root: snapshot.root,
    hash: snapshot.hash,
    objects,
    files: smallFiles(plan, treeTar, snapshot),
    onObject: () => objectsSent++,
  });
  const progress = (bytes: number) =>
    params.onProgress?.({ objectsSent, objectsTotal: objects.length, bytesSent: asked.bytesSent + bytes });
  const publishArgs = [ctx.workDir, snapshot.hash, id, base?.hash ?? "", params.lineage];
  const { out, uploaded } = await publish(ctx, publishArgs, archive, progress);
  const [status = "", ...rest] = out.split("\n");
  if (status === "lost") checkMetadata(ctx, rest.join("\n"));
  return { bytesSent: asked.bytesSent + uploaded, objectsSent, published: status === "published" };
}

/** The candidate objects the host's store lacks (one round trip; none when there are no candidates). */
async function missingObjects(
  ctx: ScriptContext,
  candidates: readonly FileEntry[],
): Promise<{ missing: FileEntry[]; bytesSent: number }> {
  if (candidates.length === 0) return { missing: [], bytesSent: 0 };
  const query = candidates.map((entry) => `${storeKey(entry)}\n`).join("");
  const out = await runScript(ctx, PRESENT_SCRIPT, [ctx.workDir], query);
  const present = new Set(out.split("\n").filter((line) => line !== ""));
  return {
    missing: candidates.filter((entry) => !present.has(storeKey(entry))),
    bytesSent: Buffer.byteLength(query),
  };
}

/** What follows the objects in the archive: the delta and the metadata the publish script reads. */
function smallFiles(plan: SyncPlan, treeTar: Buffer, snapshot: Snapshot): (readonly [string, Buffer])[] {
  const utf8 = (text: string) => Buffer.from(text, "utf8");
  return [
    ["removals", utf8(plan.removals.map((path) => `${path}\0`).join(""))],
    ["manifest.del", utf8(plan.removals.map((path) => `${manifestKey(path)}\n`).join(""))],
    ["manifest.add.gz", gzipSync(plan.added.map(manifestLine).join(""))],
    ["tree.tar", treeTar],
    ["meta.json", utf8(metadataJson(snapshot))],
  ];
}

/** Streams the archive into the publish script; a failure producing it (a file changed) wins over the transport's. */
async function publish(
  ctx: ScriptContext,
  args: string[],
  archive: AsyncGenerator<Buffer>,
  progress: (bytesUploaded: number) => void,
): Promise<{ out: string; uploaded: number }> {
  let uploaded = 0;
  let producerError: unknown = null;
  const counted = async function* () {
    try {
      for await (const chunk of archive) {
        uploaded += chunk.length;
        progress(uploaded);
        yield chunk;
      }
    } catch (error) {
      producerError = error;
      throw error;
    }
  };
  let out: string;
  try {
    out = await runScript(ctx, PUBLISH_SCRIPT, args, Readable.from(counted()));
  } catch (error) {
    throw producerError ?? error;
  }
  if (producerError) throw producerError;
  return { out, uploaded };
}

function storeKey(entry: FileEntry): string {
  return `${entry.digest.slice(0, 2)}/${objectName(entry)}`;
}
