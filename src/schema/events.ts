import { z } from "zod";
import { FailureKind, JobRecord, JobStatus, PhaseName, RunStatus } from "./records.js";

/**
 * Lifecycle events: `pikaci run --json` prints one per line; the Action turns them into check-run
 * updates. A job is one lane's execution in one run, so job events name it by `lane_id`.
 */
const base = { at: z.iso.datetime({ offset: true }), run_id: z.string() };
const job = { ...base, lane_id: z.string() };

export const RunEvent = z.discriminatedUnion("type", [
  z.object({ type: z.literal("run_started"), ...base, lanes: z.array(z.string()) }),
  z.object({ type: z.literal("job_started"), ...job, attempt: z.number().int() }),
  z.object({
    type: z.literal("job_phase"),
    ...job,
    phase: PhaseName,
    state: z.enum(["started", "finished", "failed"]),
    duration_ms: z.number().int().nullable(),
  }),
  z.object({
    type: z.literal("job_log"),
    ...job,
    stream: z.enum(["host", "guest"]),
    text: z.string(),
  }),
  z.object({
    type: z.literal("job_finished"),
    ...job,
    status: JobStatus,
    failure_kind: FailureKind.nullable(),
    exit_code: z.number().int().nullable(),
    duration_ms: z.number().int().nullable(),
    message: z.string().nullable(),
    /** The job's record as run.json holds it at this moment: every attempt, phase and log path. */
    job: JobRecord,
  }),
  z.object({ type: z.literal("run_finished"), ...base, status: RunStatus }),
]);

export type RunEvent = z.infer<typeof RunEvent>;
