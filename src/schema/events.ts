import { z } from "zod";
import { FailureKind, JobStatus, PhaseName, RunStatus } from "./records.js";

/** Lifecycle events: `pikaci run --json` prints one per line; the Action turns them into check-run updates. */
const base = { at: z.iso.datetime({ offset: true }), run_id: z.string() };

export const RunEvent = z.discriminatedUnion("type", [
  z.object({ type: z.literal("run_started"), ...base, lanes: z.array(z.string()) }),
  z.object({ type: z.literal("job_started"), ...base, job_id: z.string(), attempt: z.number().int() }),
  z.object({
    type: z.literal("job_phase"),
    ...base,
    job_id: z.string(),
    phase: PhaseName,
    state: z.enum(["started", "finished", "failed"]),
    duration_ms: z.number().int().nullable(),
  }),
  z.object({
    type: z.literal("job_log"),
    ...base,
    job_id: z.string(),
    stream: z.enum(["host", "guest"]),
    text: z.string(),
  }),
  z.object({
    type: z.literal("job_finished"),
    ...base,
    job_id: z.string(),
    status: JobStatus,
    failure_kind: FailureKind.nullable(),
    exit_code: z.number().int().nullable(),
    duration_ms: z.number().int().nullable(),
    message: z.string().nullable(),
  }),
  z.object({ type: z.literal("run_finished"), ...base, status: RunStatus }),
]);

export type RunEvent = z.infer<typeof RunEvent>;
