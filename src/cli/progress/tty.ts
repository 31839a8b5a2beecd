import { formatDuration } from "../../report/duration.js";
import { emptyRunView, foldRun, type RunView } from "../../run/lane-fold.js";
import type { RunEvent } from "../../schema/index.js";

/** The table a terminal shows while lanes run: lane, status, phase, elapsed. Pure. */
export function renderTable(state: RunView, nowMs: number): string[] {
  const width = Math.max(4, ...state.lanes.map((lane) => lane.id.length));
  return state.lanes.map((lane) => {
    const elapsed =
      lane.status === "running" && lane.startedAtMs !== null
        ? formatSeconds(nowMs - lane.startedAtMs)
        : lane.durationMs !== null
          ? formatDuration(lane.durationMs)
          : "";
    const detail =
      lane.status === "running"
        ? `${lane.phase ?? "starting"}${lane.attempt > 1 ? ` (attempt ${lane.attempt})` : ""}`
        : (lane.failureKind ?? "");
    return `  ${lane.id.padEnd(width)}  ${lane.status.padEnd(9)}  ${detail.padEnd(22)}  ${elapsed}`.trimEnd();
  });
}

function formatSeconds(ms: number): string {
  return `${(Math.max(0, ms) / 1000).toFixed(1)}s`;
}

/** Redraws the table in place about four times a second; `stop()` leaves the final table on screen. */
export class TtyProgress {
  #state: RunView = emptyRunView;
  #drawn = 0;
  #timer: NodeJS.Timeout | null = null;

  constructor(
    private readonly out: { write(text: string): unknown },
    private readonly now: () => number = Date.now,
  ) {}

  onEvent(event: RunEvent): void {
    this.#state = foldRun(this.#state, event);
    if (event.type === "run_started") this.#timer = setInterval(() => this.draw(), 250);
    if (event.type === "job_started" || event.type === "job_finished") this.draw();
  }

  draw(): void {
    const lines = renderTable(this.#state, this.now());
    const up = this.#drawn > 0 ? `\x1b[${this.#drawn}A` : "";
    this.out.write(`${up}${lines.map((line) => `\x1b[2K${line}\n`).join("")}`);
    this.#drawn = lines.length;
  }

  stop(): void {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = null;
    if (this.#state.lanes.length > 0) this.draw();
  }
}
