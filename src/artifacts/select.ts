import { posix } from "node:path";
import picomatch from "picomatch";
import type { ExecuteSpec } from "../schema/index.js";

/** Where a lane's files are, as the lane saw them (guest paths on Incus, temp dirs locally). */
export interface OutputRoots {
  workspace: string;
  /** The writable `$PIKACI_OUTPUT_DIR`. */
  outputDir: string;
}

export interface ArtifactCaps {
  maxFiles: number;
  maxBytes: number;
}

export const DEFAULT_ARTIFACT_CAPS: ArtifactCaps = { maxFiles: 1000, maxBytes: 200 * 1024 * 1024 };

export interface ResolvedGlob {
  /** As written in the config. */
  glob: string;
  /** Absolute pattern. */
  pattern: string;
  report: boolean;
}

export interface SelectedFile {
  /** Absolute path where the lane left it. */
  source: string;
  /** Relative path under the job's artifacts dir: `outputs/…`, `workspace/…` or `guest/…`. */
  name: string;
  report: boolean;
}

const OUTPUT_PREFIX = /^\$(?:PIKACI_OUTPUT_DIR|\{PIKACI_OUTPUT_DIR\})(?:\/|$)/;

/** The lane's artifact and report globs as absolute patterns; report files are collected too. */
export function resolveGlobs(
  spec: Pick<ExecuteSpec, "artifacts" | "reports">,
  roots: OutputRoots,
): ResolvedGlob[] {
  const globs = [
    ...(spec.artifacts ?? []).map((glob) => ({ glob, report: false })),
    ...(spec.reports ?? []).map((r) => ({ glob: r.junit, report: true })),
  ];
  return globs.map(({ glob, report }) => {
    const pattern = OUTPUT_PREFIX.test(glob)
      ? posix.join(roots.outputDir, glob.replace(OUTPUT_PREFIX, ""))
      : glob.startsWith("/")
        ? glob
        : posix.join(roots.workspace, glob);
    return { glob, pattern, report };
  });
}

/** The directories to list: each glob's static prefix, without ones inside another. */
export function scanBases(globs: readonly ResolvedGlob[]): string[] {
  const bases = [...new Set(globs.map((g) => picomatch.scan(g.pattern).base || "/"))].sort();
  return bases.filter((base) => !bases.some((other) => other !== base && isInside(base, other)));
}

/**
 * Which listed files to collect and under which names. Files are taken in path order up to the
 * count cap; names never escape the artifacts dir (a path with `..` or outside every root is dropped).
 */
export function selectFiles(params: {
  globs: readonly ResolvedGlob[];
  listed: readonly string[];
  roots: OutputRoots;
  maxFiles: number;
}): { files: SelectedFile[]; warnings: string[] } {
  const matchers = params.globs.map((g) => ({
    glob: g.glob,
    match: picomatch(g.pattern, { dot: true }),
    report: g.report,
    hit: false,
  }));
  const matched: SelectedFile[] = [];
  for (const source of [...new Set(params.listed)].sort()) {
    if (source.split("/").includes("..")) continue;
    const hits = matchers.filter((m) => m.match(source));
    if (hits.length === 0) continue;
    for (const hit of hits) hit.hit = true;
    const name = artifactName(source, params.roots);
    if (name) matched.push({ source, name, report: hits.some((h) => h.report) });
  }
  const warnings = matchers.filter((m) => !m.hit).map((m) => `${m.glob}: no file matched`);
  if (matched.length > params.maxFiles) {
    warnings.push(
      `${matched.length} files matched the lane's artifacts and reports; only the first ${params.maxFiles} were collected (the limit per lane)`,
    );
  }
  // Report files first, so the cap never drops a report for an artifact.
  const ordered = [...matched.filter((f) => f.report), ...matched.filter((f) => !f.report)];
  return { files: ordered.slice(0, params.maxFiles), warnings };
}

export function artifactName(source: string, roots: OutputRoots): string | null {
  const name = isInside(source, roots.outputDir)
    ? posix.join("outputs", posix.relative(roots.outputDir, source))
    : isInside(source, roots.workspace)
      ? posix.join("workspace", posix.relative(roots.workspace, source))
      : posix.join("guest", source);
  const normal = posix.normalize(name);
  if (normal.startsWith("/") || normal.split("/").includes("..") || normal.split("/").length < 2) return null;
  return normal;
}

function isInside(path: string, dir: string): boolean {
  const d = dir.endsWith("/") ? dir : `${dir}/`;
  return path.startsWith(d);
}
