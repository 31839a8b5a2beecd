import { readdir } from "node:fs/promises";
import path from "node:path";
import { ARTIFACTS_DIR, JOBS_DIR, PLAN_FILE, RUN_FILE } from "./layout.js";

const RECORD_FILES = new Set([RUN_FILE, PLAN_FILE]);

/** run.json, plan.json, every host.log/guest.log and collected file under a run directory, relative to it, sorted. */
export async function runArtifactFiles(runDir: string): Promise<string[]> {
  const entries = await readdir(runDir, { recursive: true, withFileTypes: true });
  return entries
    .filter((e) => e.isFile())
    .map((e) => path.relative(runDir, path.join(e.parentPath, e.name)))
    .filter((rel) => rel.endsWith(".log") || RECORD_FILES.has(path.basename(rel)) || isLaneArtifact(rel))
    .sort();
}

/** `jobs/<lane>/artifacts/…`: the files a lane's `artifacts`/`reports` collected. */
function isLaneArtifact(relative: string): boolean {
  const parts = relative.split(path.sep);
  return parts.length > 3 && parts[0] === JOBS_DIR && parts[2] === ARTIFACTS_DIR;
}
