import { PassThrough } from "node:stream";
import tar from "tar-stream";
import type { IncusClient } from "../incus/client.js";
import type { ExecuteSpec } from "../schema/index.js";
import {
  type ArtifactCaps,
  type OutputRoots,
  resolveGlobs,
  type SelectedFile,
  scanBases,
  selectFiles,
} from "./select.js";
import type { ArtifactSink } from "./sink.js";

/** Bytes of NUL-separated paths read back from the guest's listing. */
const MAX_LISTING_BYTES = 8 * 1024 * 1024;

// Regular files only (`find -P` never follows a symlink), each glob base in turn; busybox and GNU find both.
const LIST_SCRIPT = `for b in "$@"; do [ -e "$b" ] || continue; find -P "$b" -type f -print0 2>/dev/null; done | head -c ${MAX_LISTING_BYTES}`;

interface CollectIncusParams {
  incus: Pick<IncusClient, "exec">;
  instance: string;
  spec: Pick<ExecuteSpec, "artifacts" | "reports">;
  roots: OutputRoots;
  sink: ArtifactSink;
  caps: ArtifactCaps;
  signal?: AbortSignal;
}

type Collected = Array<{ name: string; report: boolean }>;

/**
 * The Incus executor's collection, run before the instance is deleted: list the glob bases in the
 * guest, pick the files on this side, then stream one `tar` of them out of the guest and keep only
 * the regular files that were asked for, within the byte cap.
 */
export async function collectIncus(params: CollectIncusParams): Promise<Collected> {
  const globs = resolveGlobs(params.spec, params.roots);
  const listed = await listGuestFiles(params, scanBases(globs));
  const selected = selectFiles({ globs, listed, roots: params.roots, maxFiles: params.caps.maxFiles });
  for (const warning of selected.warnings) params.sink.warn(warning);
  if (selected.files.length === 0) return [];
  return tarOutOfGuest(params, selected.files);
}

/** Absolute paths of the regular files under `bases` in the guest. */
async function listGuestFiles(params: CollectIncusParams, bases: string[]): Promise<string[]> {
  const listing = await params.incus.exec(
    params.instance,
    ["sh", "-c", LIST_SCRIPT, "pikaci-list", ...bases],
    {
      timeoutMs: 120_000,
      signal: params.signal,
    },
  );
  return listing.stdout
    .toString("utf8")
    .split("\0")
    .filter((p) => p.startsWith("/"));
}

async function tarOutOfGuest(params: CollectIncusParams, files: readonly SelectedFile[]): Promise<Collected> {
  const { incus, sink } = params;
  const wanted = new Map(files.map((f) => [f.source.slice(1), f]));
  const collected: Collected = [];
  const extract = tar.extract();
  extract.on("entry", (header, stream, next) => {
    const file = wanted.get(header.name.replace(/^\.\//, ""));
    const size = header.size ?? 0;
    if (!file || header.type !== "file" || !sink.fits(file.name, size)) {
      stream.on("end", next).resume();
      return;
    }
    wanted.delete(file.source.slice(1));
    sink
      .add({ name: file.name, size, report: file.report, content: stream as AsyncIterable<Buffer> })
      .then(() => collected.push(file))
      .then(() => next(), next);
  });
  const done = new Promise<void>((resolve, reject) => {
    extract.on("finish", resolve);
    extract.on("error", reject);
  });
  const input = new PassThrough();
  let stderr = "";
  input.pipe(extract);
  const result = await incus.exec(params.instance, ["tar", "-C", "/", "-cf", "-", "--", ...wanted.keys()], {
    collect: false,
    onStdout: (chunk) => input.write(chunk),
    onStderr: (chunk) => {
      if (stderr.length < 1000) stderr += chunk.toString("utf8");
    },
    timeoutMs: 600_000,
    signal: params.signal,
  });
  input.end();
  await done;
  if (result.code !== 0) {
    sink.warn(`tar in the guest exited ${result.code}: ${stderr.trim().slice(0, 300)}`);
  }
  return collected;
}
