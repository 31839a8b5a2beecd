import { readFile } from "node:fs/promises";
import type { z } from "zod";
import { LaneId, PlanRecord, RunRecord } from "../schema/index.js";
import {
  atomicWriteFile,
  type LogKind,
  PLAN_FILE,
  parseJobLogPath,
  RUN_FILE,
  type StateStore,
} from "../store/index.js";
import { InvalidArtifactError } from "./errors.js";
import { mergePlanRecords, mergeRunRecords } from "./merge.js";
import { DEFAULT_ZIP_LIMITS, readZip, type ZipEntry, type ZipLimits } from "./zip.js";

export type IngestStore = Pick<
  StateStore,
  "loadRunRecord" | "loadPlan" | "writeRun" | "writePlan" | "jobDir" | "hostLogPath" | "guestLogPath"
>;

export interface IngestResult {
  run_id: string;
  /** false when the run was already stored with identical content (a redelivery). */
  stored: boolean;
}

interface ArtifactContent {
  run: RunRecord;
  plan: PlanRecord | null;
  logs: { jobId: string; kind: LogKind; data: Buffer }[];
}

function invalid(message: string): never {
  throw new InvalidArtifactError(message, {
    hint: "upload the artifact with pikaci's GitHub Action, unmodified",
  });
}

function parseRecord<T>(entry: ZipEntry, schema: z.ZodType<T>): T {
  let data: unknown;
  try {
    data = JSON.parse(entry.data.toString("utf8"));
  } catch (error) {
    return invalid(`${entry.name} is not JSON: ${(error as Error).message}`);
  }
  const result = schema.safeParse(data);
  if (!result.success) {
    const issues = result.error.issues
      .slice(0, 5)
      .map((issue) => `${issue.path.join(".") || "(root)"}: ${issue.message}`);
    return invalid(`${entry.name} does not match the record schema: ${issues.join("; ")}`);
  }
  return result.data;
}

/**
 * The artifact's layout is the state root's run directory: `run.json`, `plan.json`,
 * `jobs/<job_id>/{host,guest}.log`, optionally under `runs/<run_id>/`. Anything else is ignored.
 */
function interpret(entries: ZipEntry[]): ArtifactContent {
  const byName = new Map<string, ZipEntry>();
  for (const entry of entries) {
    const name = entry.name.replace(/^runs\/[^/]+\//, "");
    if (byName.has(name)) invalid(`the artifact holds ${name} twice`);
    byName.set(name, entry);
  }
  const runEntry = byName.get(RUN_FILE) ?? invalid(`the artifact has no ${RUN_FILE}`);
  const run = parseRecord(runEntry, RunRecord);
  const planEntry = byName.get(PLAN_FILE);
  const plan = planEntry ? parseRecord(planEntry, PlanRecord) : null;
  if (plan?.run_id && plan.run_id !== run.run_id)
    invalid(`plan.json is for run ${plan.run_id}, not ${run.run_id}`);
  const jobIds = new Set(run.jobs.map((job) => job.lane_id));
  const logs: ArtifactContent["logs"] = [];
  for (const [name, entry] of byName) {
    const log = parseJobLogPath(name);
    if (!log) continue;
    const { jobId, kind } = log;
    if (!LaneId.safeParse(jobId).success || !jobIds.has(jobId))
      invalid(`${entry.name} is for a job not in run.json`);
    logs.push({ jobId, kind, data: entry.data });
  }
  return { run, plan, logs };
}

async function readOrNull(file: string): Promise<Buffer | null> {
  try {
    return await readFile(file);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return null;
    throw error;
  }
}

function logPath(store: IngestStore, runId: string, jobId: string, kind: LogKind): string {
  return kind === "host" ? store.hostLogPath(runId, jobId) : store.guestLogPath(runId, jobId);
}

/**
 * The artifact's records folded into what is stored for the same run: the jobs of a matrix each
 * upload their own lanes under one run id (see merge.ts). A redelivery merges to what is stored.
 */
async function mergeWithStored(store: IngestStore, content: ArtifactContent): Promise<ArtifactContent> {
  const runId = content.run.run_id;
  const run = mergeRunRecords(await store.loadRunRecord(runId).catch(() => null), content.run);
  const plan = content.plan && mergePlanRecords(await store.loadPlan(runId).catch(() => null), content.plan);
  return { ...content, run, plan };
}

/** Already stored, byte for byte? A record the store cannot read counts as different, and is replaced. */
async function alreadyStored(store: IngestStore, content: ArtifactContent): Promise<boolean> {
  const runId = content.run.run_id;
  const existing = await store.loadRunRecord(runId).catch(() => null);
  if (!existing || JSON.stringify(existing) !== JSON.stringify(content.run)) return false;
  if (content.plan) {
    const plan = await store.loadPlan(runId).catch(() => null);
    if (!plan || JSON.stringify(plan) !== JSON.stringify(content.plan)) return false;
  }
  for (const log of content.logs) {
    const stored = await readOrNull(logPath(store, runId, log.jobId, log.kind));
    if (!stored?.equals(log.data)) return false;
  }
  return true;
}

/**
 * Validate a `pikaci-<run_id>` artifact and store it. Idempotent: a redelivery of the same artifact
 * writes nothing. Logs and plan are written before run.json, each atomically, so a reader that finds
 * run.json finds the rest. Throws InvalidArtifactError for anything unsafe, corrupt or off-schema.
 */
export async function ingestArtifactZip(options: {
  zip: Buffer;
  store: IngestStore;
  limits?: ZipLimits;
}): Promise<IngestResult> {
  const { zip, store, limits = DEFAULT_ZIP_LIMITS } = options;
  const content = await mergeWithStored(store, interpret(readZip(zip, limits)));
  const runId = content.run.run_id;
  if (await alreadyStored(store, content)) return { run_id: runId, stored: false };
  for (const log of content.logs) {
    await store.jobDir(runId, log.jobId);
    await atomicWriteFile(logPath(store, runId, log.jobId, log.kind), log.data);
  }
  if (content.plan) await store.writePlan(runId, content.plan);
  await store.writeRun(content.run);
  return { run_id: runId, stored: true };
}
