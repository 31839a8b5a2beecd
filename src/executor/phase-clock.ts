import type { PhaseName, PhaseRecord } from "../schema/index.js";
import type { JobEvents } from "./executor.js";

/**
 * Times named phases into `phases[]` and reports each start and end through the job's events.
 * Phases keep the order they started in, also when two overlap (directories and snapshot sync).
 */
export class PhaseClock {
  readonly phases: PhaseRecord[] = [];
  constructor(private readonly events: JobEvents) {}

  async run<T>(phase: PhaseName, work: () => Promise<T>): Promise<T> {
    const startedAt = new Date();
    const t0 = performance.now();
    const slot = this.phases.length;
    this.phases.push({
      phase,
      started_at: startedAt.toISOString(),
      finished_at: null,
      duration_ms: null,
      status: "running",
      message: null,
    });
    this.events.phase(phase, "started", null);
    try {
      const result = await work();
      this.#close({ phase, slot, startedAt, t0 }, "ok", null);
      return result;
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      this.#close({ phase, slot, startedAt, t0 }, "failed", message);
      throw error;
    }
  }

  #close(
    at: { phase: PhaseName; slot: number; startedAt: Date; t0: number },
    status: "ok" | "failed",
    message: string | null,
  ): void {
    const { phase, startedAt, t0 } = at;
    const durationMs = Math.round(performance.now() - t0);
    this.phases.splice(at.slot, 1, {
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
