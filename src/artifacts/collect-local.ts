import { createReadStream } from "node:fs";
import { lstat, readdir } from "node:fs/promises";
import path from "node:path";
import type { ExecuteSpec } from "../schema/index.js";
import { type ArtifactCaps, type OutputRoots, resolveGlobs, scanBases, selectFiles } from "./select.js";
import type { ArtifactSink } from "./sink.js";

/** Entries listed per lane before the walk stops: a lane that writes a million files cannot stall collection. */
const MAX_LISTED = 100_000;

/**
 * The local executor's collection: walk each glob's base without following symlinks, copy the
 * matched regular files into the sink. Absolute globs name guest paths, which a local run has not.
 */
export async function collectLocal(params: {
  spec: Pick<ExecuteSpec, "artifacts" | "reports">;
  roots: OutputRoots;
  sink: ArtifactSink;
  caps: ArtifactCaps;
}): Promise<Array<{ name: string; report: boolean }>> {
  const { sink } = params;
  const globs = resolveGlobs(params.spec, params.roots).filter((g) => {
    const local = [params.roots.workspace, params.roots.outputDir].some((r) => g.pattern.startsWith(`${r}/`));
    if (!local) sink.warn(`${g.glob}: absolute paths name guest paths and apply to the Incus executor only`);
    return local;
  });
  const listed: string[] = [];
  for (const base of scanBases(globs)) await walk(base, listed);
  if (listed.length >= MAX_LISTED) sink.warn(`listing stopped after ${MAX_LISTED} files`);
  const selected = selectFiles({ globs, listed, roots: params.roots, maxFiles: params.caps.maxFiles });
  for (const warning of selected.warnings) sink.warn(warning);
  const collected: Array<{ name: string; report: boolean }> = [];
  for (const file of selected.files) {
    const info = await lstat(file.source).catch(() => null);
    if (!info?.isFile() || !sink.fits(file.name, info.size)) continue;
    await sink.add({ ...file, size: info.size, content: createReadStream(file.source) });
    collected.push(file);
  }
  return collected;
}

async function walk(entry: string, out: string[]): Promise<void> {
  if (out.length >= MAX_LISTED) return;
  const info = await lstat(entry).catch(() => null);
  if (!info) return;
  if (info.isFile()) {
    out.push(entry);
    return;
  }
  if (!info.isDirectory()) return;
  const names = await readdir(entry).catch(() => [] as string[]);
  for (const name of names.sort()) await walk(path.join(entry, name), out);
}
