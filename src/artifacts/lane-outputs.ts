import { existsSync } from "node:fs";
import path from "node:path";
import { describeError } from "../errors/index.js";
import type { ArtifactsRecord, ExecuteSpec, LaneTestResults } from "../schema/index.js";
import { readLaneReports } from "../tests/read-reports.js";
import { type ArtifactCaps, DEFAULT_ARTIFACT_CAPS } from "./select.js";
import { ArtifactSink } from "./sink.js";

export interface LaneOutputs {
  artifacts?: ArtifactsRecord;
  tests?: LaneTestResults | null;
}

/** The env var a lane writes its outputs under; documented in docs/test-results.md. */
export const OUTPUT_DIR_ENV = "PIKACI_OUTPUT_DIR";

export function hasOutputs(spec: Pick<ExecuteSpec, "artifacts" | "reports">): boolean {
  return (spec.artifacts?.length ?? 0) + (spec.reports?.length ?? 0) > 0;
}

/**
 * Both executors' last step before cleanup: collect the lane's files into `<job_dir>/artifacts`
 * with `collect` (executor-specific), then read its JUnit reports. A collection problem is a
 * warning in the record and the host log, never the lane's verdict.
 */
export async function collectLaneOutputs(params: {
  spec: Pick<ExecuteSpec, "artifacts" | "reports">;
  jobDir: string;
  /** The repository on this machine (the snapshot's root), to tell repository files apart. */
  repoRoot: string;
  /** Where the lane saw the repository (guest or temp paths), to make report paths relative. */
  workspaceRoots: string[];
  collect: (sink: ArtifactSink, caps: ArtifactCaps) => Promise<Array<{ name: string; report: boolean }>>;
  log: (line: string) => void;
  caps?: ArtifactCaps;
}): Promise<LaneOutputs> {
  if (!hasOutputs(params.spec)) return {};
  const caps = params.caps ?? DEFAULT_ARTIFACT_CAPS;
  const sink = await ArtifactSink.open(path.join(params.jobDir, "artifacts"), caps);
  let collected: Array<{ name: string; report: boolean }> = [];
  try {
    collected = await params.collect(sink, caps);
  } catch (error) {
    sink.warn(`collecting artifacts failed: ${describeError(error)}`);
  }
  const artifacts = sink.result();
  params.log(`collected ${artifacts.files.length} artifact file(s), ${artifacts.bytes} bytes`);
  for (const warning of artifacts.warnings) params.log(`artifacts: ${warning}`);
  const reports = collected.filter((f) => f.report);
  if ((params.spec.reports?.length ?? 0) === 0) return { artifacts };
  if (reports.length === 0) return { artifacts, tests: null };
  const tests = await readLaneReports({
    files: reports.map((f) => ({ path: sink.path(f.name), name: f.name })),
    roots: { repoRoot: params.repoRoot, guestRoots: params.workspaceRoots },
    isRepoFile: (p) => existsSync(path.join(params.repoRoot, p)),
  });
  const c = tests.counts;
  params.log(`tests: ${c.total} total, ${c.failed + c.errors} failed, ${c.skipped} skipped`);
  for (const warning of tests.warnings) params.log(`reports: ${warning}`);
  return { artifacts, tests };
}
