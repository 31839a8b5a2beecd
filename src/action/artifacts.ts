import { mkdir, readdir, readFile, rm, writeFile } from "node:fs/promises";
import path from "node:path";
import { maskSecrets } from "../report/mask.js";
import type { RunRecord } from "../schema/index.js";

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
    .filter((e) => e.isFile() && (e.name.endsWith(".log") || RECORD_FILES.has(e.name)))
    .map((e) => path.relative(runDir, path.join(e.parentPath, e.name)))
    .sort();
}

/**
 * Copy the run's records and logs into a staging directory with every secret masked, so the
 * artifact cannot carry a key or token even if a tool printed one.
 */
export async function stageArtifact(params: {
  runDir: string;
  stagingDir: string;
  secrets: readonly string[];
  /** The run record to ship instead of the one on disk (a cancelled run closed by the action). */
  record?: RunRecord;
}): Promise<string[]> {
  const { runDir, stagingDir, secrets, record } = params;
  await rm(stagingDir, { recursive: true, force: true });
  const files = await runArtifactFiles(runDir).catch((): string[] => []);
  if (record && !files.includes("run.json")) files.push("run.json");
  const staged: string[] = [];
  for (const relative of files) {
    const target = path.join(stagingDir, relative);
    await mkdir(path.dirname(target), { recursive: true });
    const content =
      record && relative === "run.json"
        ? `${JSON.stringify(record, null, 2)}\n`
        : await readFile(path.join(runDir, relative), "utf8");
    await writeFile(target, maskSecrets(content, secrets), { mode: 0o600 });
    staged.push(target);
  }
  return staged;
}
