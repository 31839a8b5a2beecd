import { InfrastructureError } from "../errors/index.js";
import type { Snapshot } from "./entries.js";
import type { ScriptContext } from "./run-script.js";

/** `pikaci-snapshot.json`, the metadata file published next to `tree/`. */
export function metadataJson(snapshot: Snapshot): string {
  const meta = {
    content_hash: snapshot.hash,
    files: snapshot.files,
    bytes: snapshot.bytes,
    created_at: new Date().toISOString(),
  };
  return `${JSON.stringify(meta, null, 2)}\n`;
}

/** A published snapshot whose metadata names another hash is never used: the fix is to remove it. */
export function checkMetadata(ctx: ScriptContext & { hash: string }, text: string): void {
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
