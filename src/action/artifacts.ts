import { mkdir, readFile, rm, writeFile } from "node:fs/promises";
import path from "node:path";
import { maskSecrets } from "../report/mask.js";
import type { PlanRecord, RunRecord } from "../schema/index.js";
import { PLAN_FILE, RUN_FILE, runArtifactFiles } from "../store/index.js";

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
  /** The plan, when the engine never wrote plan.json (a run cancelled before it started). */
  plan?: PlanRecord;
}): Promise<string[]> {
  const { runDir, stagingDir, secrets, record, plan } = params;
  await rm(stagingDir, { recursive: true, force: true });
  const files = await runArtifactFiles(runDir).catch((): string[] => []);
  // The engine's plan.json when it wrote one; the given record always (it is the final one).
  const generated = new Map<string, unknown>();
  if (plan && !files.includes(PLAN_FILE)) generated.set(PLAN_FILE, plan);
  if (record) generated.set(RUN_FILE, record);
  for (const name of generated.keys()) if (!files.includes(name)) files.push(name);
  files.sort();
  const staged: string[] = [];
  for (const relative of files) {
    const target = path.join(stagingDir, relative);
    await mkdir(path.dirname(target), { recursive: true });
    const given = generated.get(relative);
    // Text is masked; a binary artifact (a NUL byte) is copied as it is, since masking would corrupt it.
    const bytes =
      given !== undefined
        ? Buffer.from(`${JSON.stringify(given, null, 2)}\n`)
        : await readFile(path.join(runDir, relative));
    const content = bytes.includes(0) ? bytes : maskSecrets(bytes.toString("utf8"), secrets);
    await writeFile(target, content, { mode: 0o600 });
    staged.push(target);
  }
  return staged;
}
