import { mkdir, readdir, readFile, rm, writeFile } from "node:fs/promises";
import path from "node:path";
import { maskSecrets } from "../report/mask.js";

/** The one call made to the artifact service; `@actions/artifact` behind it on GitHub. */
export interface ArtifactPort {
  upload(params: { name: string; files: string[]; rootDirectory: string; retentionDays?: number }): Promise<{
    id?: number;
    size?: number;
  }>;
}

export async function defaultArtifactPort(): Promise<ArtifactPort> {
  const { DefaultArtifactClient } = await import("@actions/artifact");
  const client = new DefaultArtifactClient();
  return {
    async upload({ name, files, rootDirectory, retentionDays }) {
      const options = retentionDays === undefined ? {} : { retentionDays };
      return client.uploadArtifact(name, files, rootDirectory, options);
    },
  };
}

const RECORD_FILES = new Set(["run.json", "plan.json"]);

/** run.json, plan.json and every host.log/guest.log under a run directory, relative to it, sorted. */
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
  return parts.length > 3 && parts[0] === "jobs" && parts[2] === "artifacts";
}

/**
 * Copy the run's records and logs into a staging directory with every secret masked, so the
 * artifact cannot carry a key or token even if a tool printed one.
 */
export async function stageArtifact(params: {
  runDir: string;
  stagingDir: string;
  secrets: readonly string[];
}): Promise<string[]> {
  const { runDir, stagingDir, secrets } = params;
  await rm(stagingDir, { recursive: true, force: true });
  const files = await runArtifactFiles(runDir);
  const staged: string[] = [];
  for (const relative of files) {
    const target = path.join(stagingDir, relative);
    await mkdir(path.dirname(target), { recursive: true });
    const bytes = await readFile(path.join(runDir, relative));
    // Text is masked; a binary artifact (a NUL byte) is copied as it is, since masking would corrupt it.
    const content = bytes.includes(0) ? bytes : maskSecrets(bytes.toString("utf8"), secrets);
    await writeFile(target, content, { mode: 0o600 });
    staged.push(target);
  }
  return staged;
}
