import { mkdirSync } from "node:fs";
import { appendFile, mkdir, readdir, readFile, stat } from "node:fs/promises";
import type { z } from "zod";
import { InfrastructureError } from "../errors/index.js";
import { PlanRecord, RUN_ID_PATTERN, RunRecord } from "../schema/index.js";
import { atomicWriteFile } from "./atomic.js";
import { CappedLogFile } from "./capped-log.js";
import { type LogKind, StoreLayout } from "./layout.js";

export interface LogContent {
  job_id: string;
  kind: LogKind;
  path: string;
  text: string;
}

export interface LogMetadata {
  job_id: string;
  kind: LogKind;
  path: string;
  exists: boolean;
  /** null when the file does not exist. */
  size_bytes: number | null;
}

export interface StateStore {
  root: string;
  runDir(runId: string): string;
  /** Creates the job directory (mkdir -p) and returns it. */
  jobDir(runId: string, jobId: string): Promise<string>;
  writeRun(record: RunRecord): Promise<void>;
  writePlan(runId: string, plan: PlanRecord): Promise<void>;
  hostLogPath(runId: string, jobId: string): string;
  guestLogPath(runId: string, jobId: string): string;
  appendLog(runId: string, jobId: string, kind: LogKind, text: string): Promise<void>;
  /** A job's log that keeps its head and tail within `limitBytes` (see CappedLogFile). */
  openLog(runId: string, jobId: string, kind: LogKind, limitBytes: number): CappedLogFile;
  loadRunRecord(runId: string): Promise<RunRecord | null>;
  loadPlan(runId: string): Promise<PlanRecord | null>;
  loadLogs(runId: string, options: { job?: string; kind: LogKind | "both" }): Promise<LogContent[]>;
  loadLogsMetadata(runId: string): Promise<LogMetadata[]>;
  /** Newest first (run ids sort by time). Unreadable or invalid runs are left out. */
  listRuns(options?: { limit?: number }): Promise<RunRecord[]>;
}

export function createStateStore({ root }: { root: string }): StateStore {
  const layout = new StoreLayout(root);

  const store: StateStore = {
    root: layout.root,
    runDir: (runId) => layout.runDir(runId),
    async jobDir(runId, jobId) {
      const dir = layout.jobDir(runId, jobId);
      await mkdir(dir, { recursive: true });
      return dir;
    },
    async writeRun(record) {
      const valid = RunRecord.parse(record);
      await mkdir(layout.runDir(valid.run_id), { recursive: true });
      await atomicWriteFile(layout.runFile(valid.run_id), `${JSON.stringify(valid, null, 2)}\n`);
    },
    async writePlan(runId, plan) {
      const valid = PlanRecord.parse(plan);
      await mkdir(layout.runDir(runId), { recursive: true });
      await atomicWriteFile(layout.planFile(runId), `${JSON.stringify(valid, null, 2)}\n`);
    },
    hostLogPath: (runId, jobId) => layout.logFile(runId, jobId, "host"),
    guestLogPath: (runId, jobId) => layout.logFile(runId, jobId, "guest"),
    async appendLog(runId, jobId, kind, text) {
      const file = layout.logFile(runId, jobId, kind);
      await mkdir(layout.jobDir(runId, jobId), { recursive: true });
      await appendFile(file, text);
    },
    openLog(runId, jobId, kind, limitBytes) {
      mkdirSync(layout.jobDir(runId, jobId), { recursive: true });
      return new CappedLogFile(layout.logFile(runId, jobId, kind), limitBytes);
    },
    loadRunRecord: (runId) => readRecord(layout.runFile(runId), RunRecord),
    loadPlan: (runId) => readRecord(layout.planFile(runId), PlanRecord),
    loadLogs: (runId, options) => loadLogs(layout, runId, options),
    loadLogsMetadata: (runId) => loadLogsMetadata(layout, runId),
    listRuns: (options = {}) => listRuns(layout, options),
  };
  return store;
}

async function loadLogs(
  layout: StoreLayout,
  runId: string,
  { job, kind }: { job?: string; kind: LogKind | "both" },
): Promise<LogContent[]> {
  const kinds: LogKind[] = kind === "both" ? ["host", "guest"] : [kind];
  const out: LogContent[] = [];
  for (const jobId of await jobIds(layout, runId, job)) {
    for (const k of kinds) {
      const file = layout.logFile(runId, jobId, k);
      const text = await readOrNull(file);
      if (text !== null) out.push({ job_id: jobId, kind: k, path: file, text });
    }
  }
  return out;
}

async function loadLogsMetadata(layout: StoreLayout, runId: string): Promise<LogMetadata[]> {
  const out: LogMetadata[] = [];
  for (const jobId of await jobIds(layout, runId)) {
    for (const kind of ["host", "guest"] as const) {
      const file = layout.logFile(runId, jobId, kind);
      const size = await sizeOrNull(file);
      out.push({ job_id: jobId, kind, path: file, exists: size !== null, size_bytes: size });
    }
  }
  return out;
}

async function listRuns(layout: StoreLayout, { limit }: { limit?: number }): Promise<RunRecord[]> {
  const ids = (await readdirOrEmpty(layout.runsDir())).filter((name) => RUN_ID_PATTERN.test(name));
  ids.sort().reverse();
  const runs: RunRecord[] = [];
  for (const id of ids) {
    if (limit !== undefined && runs.length >= limit) break;
    const record = await readRecord(layout.runFile(id), RunRecord).catch(() => null);
    if (record) runs.push(record);
  }
  return runs;
}

/** One job when `only` is given (its id still validated), else every job directory with a valid name. */
async function jobIds(layout: StoreLayout, runId: string, only?: string): Promise<string[]> {
  if (only !== undefined) {
    layout.jobDir(runId, only);
    return [only];
  }
  const names = await readdirOrEmpty(layout.jobsDir(runId));
  return names.filter((name) => safeJobName(layout, runId, name)).sort();
}

function safeJobName(layout: StoreLayout, runId: string, name: string): boolean {
  try {
    layout.jobDir(runId, name);
    return true;
  } catch {
    return false;
  }
}

async function readRecord<T>(file: string, schema: z.ZodType<T>): Promise<T | null> {
  const text = await readOrNull(file);
  if (text === null) return null;
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (error) {
    throw corrupt(file, (error as Error).message);
  }
  const result = schema.safeParse(data);
  if (!result.success) throw corrupt(file, result.error.issues.map((i) => i.message).join("; "));
  return result.data;
}

function corrupt(file: string, detail: string): InfrastructureError {
  return new InfrastructureError(`${file} is not a valid pikaci record: ${detail}`, {
    hint: "it was edited by hand or written by an incompatible pikaci; move it away and re-run",
  });
}

async function readOrNull(file: string): Promise<string | null> {
  try {
    return await readFile(file, "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return null;
    throw error;
  }
}

async function sizeOrNull(file: string): Promise<number | null> {
  try {
    return (await stat(file)).size;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return null;
    throw error;
  }
}

async function readdirOrEmpty(dir: string): Promise<string[]> {
  try {
    return await readdir(dir);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return [];
    throw error;
  }
}
