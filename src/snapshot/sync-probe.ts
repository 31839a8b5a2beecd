import { gunzipSync } from "node:zlib";
import { InfrastructureError } from "../errors/index.js";
import type { SnapshotEntry } from "./entries.js";
import { parseManifest } from "./manifest.js";
import { PROBE_SCRIPT } from "./remote-scripts.js";
import { runScriptRaw, type ScriptContext } from "./run-script.js";
import { checkMetadata } from "./sync-metadata.js";

export type ProbeResult =
  | { status: "present" }
  | { status: "base" }
  /** `entries` is null when the downloaded manifest was unusable (then a full sync follows). */
  | { status: "hostbase"; hash: string; entries: SnapshotEntry[] | null }
  | { status: "absent" };

/**
 * One round trip: is the snapshot already published, is the local base still on the host, or else
 * what did this lineage publish last (with its manifest, gzipped)? A bad snapshot dir is a hard error.
 */
export async function probeHost(
  ctx: ScriptContext & { hash: string },
  localBaseHash: string,
  lineage: string,
): Promise<ProbeResult> {
  const out = await runScriptRaw(ctx, PROBE_SCRIPT, [ctx.workDir, ctx.hash, localBaseHash, lineage]);
  const newline = out.indexOf(10);
  const status = out.toString("utf8", 0, newline === -1 ? out.length : newline);
  const rest = newline === -1 ? Buffer.alloc(0) : out.subarray(newline + 1);
  if (status === "present") {
    checkMetadata(ctx, rest.toString("utf8"));
    return { status };
  }
  if (status === "incomplete") {
    throw new InfrastructureError(
      `${ctx.workDir}/snapshots/${ctx.hash} on ${ctx.transport.description} exists but has no pikaci-snapshot.json`,
      {
        hint: `remove ${ctx.workDir}/snapshots/${ctx.hash} on the build host (or run pikaci gc), then rerun`,
      },
    );
  }
  if (status === "base") return { status };
  const hostBase = /^hostbase ([0-9a-f]{64})$/.exec(status);
  if (hostBase) return { status: "hostbase", hash: hostBase[1]!, entries: readManifest(rest, hostBase[1]!) };
  return { status: "absent" };
}

function readManifest(gzipped: Buffer, hash: string): SnapshotEntry[] | null {
  try {
    return parseManifest(gunzipSync(gzipped).toString("utf8"), hash);
  } catch {
    return null; // truncated or not gzip: the base was removed mid-read, or the file is damaged
  }
}
