import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { Worker } from "node:worker_threads";
import { PikaciError } from "../errors/index.js";
import type { FileDigest } from "./digest.js";

/**
 * Beside this module in src/, and beside the bundle in dist/ (scripts/bundle.mjs builds it there):
 * the same relative URL finds it in both.
 */
const WORKER_URL = new URL("./hash-worker.js", import.meta.url);
/**
 * Batches queued per thread: enough (~30 ms of reading) that a thread still has work while the main
 * thread is busy stat'ing or hashing its own slice, few enough that the last ones finish together.
 */
const DEPTH = 4;

interface BatchReply {
  id: number;
  digests?: string;
  sizes?: number[];
  error?: { message: string; code?: string; path: string };
}

/**
 * Worker threads that hash batches of files (hash-worker.js): each reads its files synchronously,
 * with no thread-pool hop and no promise per file, which cost more than SHA-256 itself. Replies
 * report digests by batch id (the index of its first file), so the order threads finish in
 * changes nothing.
 */
export class HashThreads {
  private readonly workers: Worker[];
  private readonly inFlight = new Map<Worker, number>();
  /** Batches sent and not answered, over all threads. */
  pending = 0;
  private closed = false;

  constructor(
    private readonly root: string,
    count: number,
    private readonly handlers: {
      onDigest: (index: number, digest: FileDigest) => void;
      /** Called once for the first failure: a file a thread could not read, or a thread that died. */
      onFailure: (error: unknown) => void;
      /** A reply arrived (after its digests were reported): a thread has room for another batch. */
      onReply: () => void;
    },
  ) {
    const path = fileURLToPath(WORKER_URL);
    if (!existsSync(path)) {
      throw new PikaciError(`the file-hashing thread ${path} is missing`, {
        hint: "rebuild the bundle with `npm run bundle` (it writes dist/hash-worker.js beside dist/cli.js)",
      });
    }
    this.workers = Array.from({ length: count }, () => this.start());
  }

  /** A thread with fewer than DEPTH batches queued, if any. */
  idle(): Worker | undefined {
    return this.workers.find((worker) => (this.inFlight.get(worker) ?? 0) < DEPTH);
  }

  /** Sends a batch: the files' paths relative to the root, and their sizes when stat'ed. */
  send(worker: Worker, id: number, batch: { paths: string[]; sizes: number[] }): void {
    worker.postMessage({ id, paths: batch.paths, sizes: batch.sizes });
    this.inFlight.set(worker, (this.inFlight.get(worker) ?? 0) + 1);
    this.pending++;
  }

  /** Ignores every reply from now on (close still stops the threads). */
  stop(): void {
    this.closed = true;
  }

  /** Stops every thread, also mid-batch: no thread keeps reading after the hash has ended. */
  async close(): Promise<void> {
    this.closed = true;
    await Promise.all(this.workers.map((worker) => worker.terminate()));
  }

  private start(): Worker {
    // No execArgv: the worker is plain JavaScript, and a loader the process was started with (tsx
    // under `npx tsx`, vitest) costs each thread more to start than its share of a tree to hash.
    const worker = new Worker(WORKER_URL, { workerData: { root: this.root }, execArgv: [] });
    worker.on("message", (reply: BatchReply) => this.receive(worker, reply));
    worker.on("error", (error) =>
      this.fail(new PikaciError(`a file-hashing thread failed: ${error.message}`)),
    );
    worker.on("exit", (code) => this.fail(new PikaciError(`a file-hashing thread exited (code ${code})`)));
    return worker;
  }

  private receive(worker: Worker, reply: BatchReply): void {
    if (this.closed) return;
    this.inFlight.set(worker, this.inFlight.get(worker)! - 1);
    this.pending--;
    try {
      this.report(reply);
    } catch (error) {
      this.fail(error);
      return;
    }
    this.handlers.onReply();
  }

  /** A file the thread could not read fails the hash as reading it here would have. */
  private report(reply: BatchReply): void {
    if (reply.error !== undefined) {
      const { message, code, path } = reply.error;
      throw Object.assign(new Error(message), { code, path: `${this.root}/${path}` });
    }
    const { digests = "", sizes = [] } = reply;
    for (let k = 0; k < sizes.length && !this.closed; k++) {
      const digest = { digest: digests.slice(k * 64, (k + 1) * 64), size: sizes[k]! };
      this.handlers.onDigest(reply.id + k, digest);
    }
  }

  private fail(error: unknown): void {
    if (this.closed) return;
    this.closed = true;
    this.handlers.onFailure(error);
  }
}
