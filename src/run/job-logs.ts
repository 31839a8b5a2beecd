import { describeError } from "../errors/index.js";
import type { LogTruncation } from "../schema/index.js";
import type { LogSink, RunStore } from "./ports.js";

/**
 * A job's host and guest logs, each capped to the lane's log_limit (head and tail kept). Written
 * synchronously as output arrives, so nothing queues up in memory; a write that fails is reported
 * once and that log stops, while the job goes on.
 */
export class JobLogs {
  readonly #files = new Map<"host" | "guest", LogSink | null>();
  #truncation: LogTruncation | null = null;
  #closed = false;
  constructor(
    private readonly p: {
      store: Pick<RunStore, "openLog">;
      runId: string;
      laneId: string;
      limitBytes: number;
      warn: (message: string) => void;
    },
  ) {}

  append(stream: "host" | "guest", text: string): void {
    if (this.#closed) return;
    let file = this.#files.get(stream);
    if (file === null) return;
    try {
      if (file === undefined) {
        file = this.p.store.openLog(this.p.runId, this.p.laneId, stream, this.p.limitBytes);
        this.#files.set(stream, file);
      }
      file.write(text);
    } catch (error) {
      this.#files.set(stream, null);
      this.p.warn(`could not write ${stream}.log of ${this.p.laneId}: ${describeError(error)}`);
    }
  }

  /** Finish both logs; returns the guest log's cut (null when it fit). Safe to call twice. */
  close(): LogTruncation | null {
    if (this.#closed) return this.#truncation;
    this.#closed = true;
    for (const [stream, file] of this.#files) {
      try {
        const cut = file?.close() ?? null;
        if (stream === "guest") this.#truncation = cut;
      } catch (error) {
        this.p.warn(`could not finish ${stream}.log of ${this.p.laneId}: ${describeError(error)}`);
      }
    }
    return this.#truncation;
  }
}
