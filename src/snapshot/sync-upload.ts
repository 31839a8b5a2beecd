import { randomBytes } from "node:crypto";
import { Readable } from "node:stream";
import { gzipSync } from "node:zlib";
import type { FileEntry, Snapshot, SnapshotEntry } from "./entries.js";
import { objectName } from "./entries.js";
import { manifestKey, manifestLine } from "./manifest.js";
import { PRESENT_SCRIPT, PUBLISH_SCRIPT } from "./remote-scripts.js";
import { runScript, type ScriptContext } from "./run-script.js";
import { checkMetadata, metadataJson } from "./sync-metadata.js";
import { planSync } from "./sync-plan.js";
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
  const { ctx, snapshot, base, onProgress } = params;
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
  const utf8 = (text: string) => Buffer.from(text, "utf8");
  const files = [
    ["removals", utf8(plan.removals.map((path) => `${path}\0`).join(""))],
    ["manifest.del", utf8(plan.removals.map((path) => `${manifestKey(path)}\n`).join(""))],
    ["manifest.add.gz", gzipSync(plan.added.map(manifestLine).join(""))],
    ["tree.tar", treeTar],
    ["meta.json", utf8(metadataJson(snapshot))],
  ] as const;
  let uploaded = 0;
  let objectsSent = 0;
  const archive = uploadArchive({ root: snapshot.root, objects, files, onObject: () => objectsSent++ });
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
  const publishArgs = [ctx.workDir, snapshot.hash, id, base?.hash ?? "", params.lineage];
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
