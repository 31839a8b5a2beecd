import type { PhaseName, PhaseRecord } from "../schema/index.js";
import type { JobEvents } from "./executor.js";

/** Times named phases into `phases[]` and reports each start and end through the job's events. */
export class PhaseClock {
  readonly phases: PhaseRecord[] = [];
  constructor(private readonly events: JobEvents) {}

  async run<T>(phase: PhaseName, work: () => Promise<T>): Promise<T> {
    const startedAt = new Date();
    const t0 = performance.now();
    this.events.phase(phase, "started", null);
    try {
      const result = await work();
      this.#close(phase, startedAt, t0, "ok", null);
      return result;
    } catch (error) {
      this.#close(phase, startedAt, t0, "failed", error instanceof Error ? error.message : String(error));
      throw error;
    }
  }

  #close(
    phase: PhaseName,
    startedAt: Date,
    t0: number,
    status: "ok" | "failed",
    message: string | null,
  ): void {
    const durationMs = Math.round(performance.now() - t0);
    this.phases.push({
      phase,
      started_at: startedAt.toISOString(),
      finished_at: new Date().toISOString(),
      duration_ms: durationMs,
      status,
      message,
    });
    this.events.phase(phase, status === "ok" ? "finished" : "failed", durationMs);
  }
}
