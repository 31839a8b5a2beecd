import { closeSync, mkdirSync, openSync, writeSync } from "node:fs";
import { type FileHandle, open } from "node:fs/promises";
import path from "node:path";
import { z } from "zod";
import { RunId } from "../../src/schema/index.js";

/**
 * What the App dispatched: run id → workflow run id and the lane → check run map. The check
 * runs' `external_id` carries the run id; this record adds the workflow run id GitHub only
 * tells us after the check runs exist, so the workflow run of a superseded commit or a closed pull
 * request can be cancelled and a workflow run that died early can have its lanes concluded.
 *
 * Kept beside the state store as one append-only JSON-lines file per month,
 * `<root>/app/dispatches-YYYY-MM.jsonl`, indexed in memory. A lookup that misses reads what
 * other processes appended since (cluster workers share the files); a restarted App reads the
 * last two months.
 */
export const DispatchRecord = z.object({
  run_id: RunId,
  repository: z.string(),
  head_sha: z.string(),
  /** 0 for a push or a merge group. */
  pr: z.number().int().nonnegative(),
  workflow_run_id: z.number().int().positive().nullable(),
  check_runs: z.record(z.string(), z.number().int()),
});
export type DispatchRecord = z.infer<typeof DispatchRecord>;

export interface DispatchStore {
  put(record: DispatchRecord): Promise<void>;
  byRunId(runId: string): Promise<DispatchRecord | null>;
  byWorkflowRunId(id: number): Promise<DispatchRecord | null>;
}

export function createFileDispatchStore(
  stateRoot: string,
  now: () => Date = () => new Date(),
): DispatchStore {
  const dir = path.join(stateRoot, "app");
  const memory = createMemoryIndex();
  const fileOf = (month: string) => path.join(dir, `dispatches-${month}.jsonl`);
  /** How far each log has been read: other App processes (cluster workers) append too. */
  const offsets = new Map<string, number>();
  let reading: Promise<void> | null = null;

  // This month's and last month's logs cover every check run GitHub still lets us update (14 days).
  const catchUp = () =>
    (reading ??= (async () => {
      for (const month of [monthOf(now(), -1), monthOf(now(), 0)]) {
        const { text, end } = await readFrom(fileOf(month), offsets.get(month) ?? 0);
        const complete = text.slice(0, text.lastIndexOf("\n") + 1);
        offsets.set(month, end - Buffer.byteLength(text) + Buffer.byteLength(complete));
        for (const line of complete.split("\n")) {
          const record = line ? DispatchRecord.safeParse(safeJson(line)) : null;
          if (record?.success) memory.remember(record.data);
        }
      }
    })().finally(() => {
      reading = null;
    }));
  let started = false;
  const lookup = async <T>(find: () => T | null): Promise<T | null> => {
    if (!started) {
      started = true;
      await catchUp();
    }
    return find() ?? (await catchUp().then(find));
  };
  const appendFd = monthlyAppender(fileOf, now);
  return {
    async put(record) {
      const valid = DispatchRecord.parse(record);
      memory.remember(valid);
      // One O_APPEND write per dispatch, synchronous: a line of a few hundred bytes costs less than
      // the promise API's thread-pool round trip. No fsync: this is a hint for cancelling, not a
      // record of results; losing the last lines in a power cut only means a superseded run is not
      // cancelled.
      writeSync(appendFd(), `${JSON.stringify(valid)}\n`);
    },
    byRunId: (runId) => lookup(() => memory.byRunId(runId)),
    byWorkflowRunId: (id) => lookup(() => memory.byWorkflowRunId(id)),
  };
}

/** This month's log, opened O_APPEND once and kept open; a new month closes the old one. */
function monthlyAppender(fileOf: (month: string) => string, now: () => Date): () => number {
  let appender: { month: string; fd: number } | null = null;
  return () => {
    const month = monthOf(now(), 0);
    if (appender?.month !== month) {
      mkdirSync(path.dirname(fileOf(month)), { recursive: true });
      const fd = openSync(fileOf(month), "a");
      if (appender) closeSync(appender.fd);
      appender = { month, fd };
    }
    return appender.fd;
  };
}

async function readFrom(file: string, offset: number): Promise<{ text: string; end: number }> {
  let handle: FileHandle;
  try {
    handle = await open(file, "r");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return { text: "", end: 0 };
    throw error;
  }
  try {
    const { size } = await handle.stat();
    if (size <= offset) return { text: "", end: offset };
    const buffer = Buffer.alloc(size - offset);
    await handle.read(buffer, 0, buffer.length, offset);
    return { text: buffer.toString("utf8"), end: size };
  } finally {
    await handle.close();
  }
}

function monthOf(date: Date, offset: number): string {
  const d = new Date(Date.UTC(date.getUTCFullYear(), date.getUTCMonth() + offset, 1));
  return d.toISOString().slice(0, 7);
}

function safeJson(line: string): unknown {
  try {
    return JSON.parse(line);
  } catch {
    return null; // a line torn by a crash mid-write
  }
}

/** For tests and for running without a state root. */
export function createMemoryDispatchStore(): DispatchStore {
  const index = createMemoryIndex();
  return {
    async put(record) {
      index.remember(DispatchRecord.parse(record));
    },
    byRunId: async (runId) => index.byRunId(runId),
    byWorkflowRunId: async (id) => index.byWorkflowRunId(id),
  };
}

/** The in-memory index both stores keep, of records already validated. */
function createMemoryIndex() {
  const byRun = new Map<string, DispatchRecord>();
  const byWorkflow = new Map<number, DispatchRecord>();
  return {
    remember(valid: DispatchRecord): void {
      byRun.set(valid.run_id, valid);
      if (valid.workflow_run_id !== null) byWorkflow.set(valid.workflow_run_id, valid);
    },
    byRunId: (runId: string) => byRun.get(runId) ?? null,
    byWorkflowRunId: (id: number) => byWorkflow.get(id) ?? null,
  };
}
