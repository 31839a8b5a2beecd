import type { RunRecord } from "../schema/index.js";

/**
 * Keeps the live `run.json` and writes it after every change, one write at a time and in order,
 * so a concurrent reader never sees an older state replace a newer one. Changes made while a
 * write is waiting coalesce into it. A failed write is a warning: the run's result must still be
 * reported even when saving it fails.
 */
export class RunRecordWriter {
  #current: RunRecord;
  #tail: Promise<void> = Promise.resolve();
  #pending = false;
  readonly #write: (run: RunRecord) => Promise<void>;
  readonly #onError: (error: unknown) => void;

  constructor(
    initial: RunRecord,
    write: (run: RunRecord) => Promise<void>,
    onError: (error: unknown) => void,
  ) {
    this.#current = initial;
    this.#write = write;
    this.#onError = onError;
  }

  get current(): RunRecord {
    return this.#current;
  }

  update(change: (run: RunRecord) => RunRecord): void {
    this.#current = change(this.#current);
    if (this.#pending) return;
    this.#pending = true;
    this.#tail = this.#tail.then(async () => {
      this.#pending = false;
      try {
        await this.#write(this.#current);
      } catch (error) {
        this.#onError(error);
      }
    });
  }

  /** Resolves once everything changed so far is on disk (or reported as a warning). */
  flush(): Promise<void> {
    return this.#tail;
  }
}
