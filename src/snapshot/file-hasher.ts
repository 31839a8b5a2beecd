import { availableParallelism } from "node:os";
import { setImmediate as yieldToLoop } from "node:timers/promises";
import { CancelledError } from "../errors/index.js";
import type { FileToHash, OnDigest } from "./digest.js";
import { HashThreads } from "./hash-threads.js";
import { READ_BUFFER_BYTES, readDigest } from "./read-digest.js";

/**
 * Below these, starting a thread (~40 ms of CPU) costs more than it saves: the main thread hashes
 * alone. 1000 files of source-tree size take ~30 ms to read and hash here.
 */
const THREADS_MIN_FILES = 1000;
const THREADS_MIN_BYTES = 64 << 20;
/** Past this, the disk and the kernel's file lookups are the limit, not SHA-256. */
const MAX_THREADS = 7;
/** Per message at most: a message then costs far less than the reads it carries. */
const BATCH_FILES = 256;
const BATCH_BYTES = 8 << 20;
/** The main thread hashes in slices this long, between which the event loop runs (progress, signals). */
const SLICE_MS = 8;

export interface FileHasherParams {
  /** Absolute directory the relative paths are under. */
  root: string;
  onDigest: OnDigest;
  /** Aborting ends `finish` with a CancelledError. */
  signal?: AbortSignal;
  /**
   * Worker threads besides the main thread, started with the first file; 0: the main thread only.
   * Default: defaultThreads(), started once the queue is large enough to repay them.
   */
  threads?: number;
}

/** One helper thread per further core (at most MAX_THREADS): the main thread hashes too. */
export function defaultThreads(cores = availableParallelism()): number {
  return Math.max(0, Math.min(cores - 1, MAX_THREADS));
}

let mainThreadBuffer: Buffer | undefined;

/**
 * Hashes files as they are queued: each read to its end through one reused buffer per thread, so
 * memory stays bounded however large the tree or a file is. Once the queue is large enough, worker
 * threads start (while the caller is still queueing, e.g. stat'ing the rest of the tree) and take
 * batches; the main thread hashes the rest itself in short slices. Digests are reported by queue
 * index, so which thread hashed a file changes nothing. Always call `finish` (or `close` when
 * giving up): it stops the threads.
 */
export class FileHasher {
  private readonly files: FileToHash[] = [];
  private bytes = 0;
  /** The first queued file not yet hashed here or handed to a thread. */
  private next = 0;
  private threads: HashThreads | null = null;
  private readonly maxThreads: number;
  /** Threads asked for by the caller start at once; by default only for a large enough queue. */
  private readonly eager: boolean;
  private finishing = false;
  private failure: { error: unknown } | null = null;
  private wake: (() => void) | null = null;

  constructor(private readonly p: FileHasherParams) {
    this.maxThreads = p.threads ?? defaultThreads();
    this.eager = p.threads !== undefined;
  }

  /** Queues a file; its digest is reported with the returned index. */
  add(file: FileToHash): number {
    const index = this.files.push(file) - 1;
    this.bytes += file.size;
    if (this.threads === null && this.maxThreads > 0 && (this.eager || this.largeEnough())) {
      this.startThreads();
    }
    this.feed();
    return index;
  }

  /** Hashes everything queued; resolves once every digest has been reported. */
  async finish(): Promise<void> {
    this.finishing = true;
    try {
      while (this.next < this.files.length) {
        this.check();
        this.feed();
        this.hashSlice();
        await yieldToLoop();
      }
      this.check();
      while (this.threads !== null && this.threads.pending > 0) {
        await new Promise<void>((resolve) => {
          this.wake = resolve;
        });
        this.check();
      }
    } finally {
      await this.close();
    }
  }

  async close(): Promise<void> {
    this.p.signal?.removeEventListener("abort", this.onAbort);
    const threads = this.threads;
    this.threads = null;
    await threads?.close();
  }

  private largeEnough(): boolean {
    return this.files.length >= THREADS_MIN_FILES || this.bytes >= THREADS_MIN_BYTES;
  }

  private startThreads(): void {
    this.threads = new HashThreads(this.p.root, this.maxThreads, {
      onDigest: this.p.onDigest,
      onFailure: (error) => {
        this.failure ??= { error };
        this.wake?.();
      },
      onReply: () => {
        this.feed();
        this.wake?.();
      },
    });
    this.p.signal?.addEventListener("abort", this.onAbort, { once: true });
  }

  /** Stops reporting at once: no digest is reported after the abort, even from a batch mid-report. */
  private readonly onAbort = () => {
    this.threads?.stop();
    this.wake?.();
  };

  private check(): void {
    if (this.failure !== null) throw this.failure.error;
    if (this.p.signal?.aborted) throw new CancelledError("cancelled while hashing the workspace");
  }

  /** Hands batches to threads with room. While files are still being queued, only full batches. */
  private feed(): void {
    const threads = this.threads;
    if (threads === null) return;
    for (let worker = threads.idle(); worker !== undefined; worker = threads.idle()) {
      const end = this.batchEnd();
      if (end === this.next) return;
      threads.send(worker, this.next, this.batch(this.next, end));
      this.next = end;
    }
  }

  /**
   * Where the next batch ends. Near the end batches shrink (to a share of what is left), so no
   * thread is still busy with a large batch when the others have run out.
   */
  private batchEnd(): number {
    const remaining = this.files.length - this.next;
    const share = Math.ceil(remaining / (4 * (this.maxThreads + 1)));
    const limit = this.finishing ? Math.max(16, Math.min(BATCH_FILES, share)) : BATCH_FILES;
    let end = this.next;
    let bytes = 0;
    while (end < this.files.length && end - this.next < limit) {
      bytes += this.files[end]!.size;
      end++;
      if (bytes >= BATCH_BYTES) return end;
    }
    return this.finishing || end - this.next === limit ? end : this.next;
  }

  private batch(start: number, end: number): { paths: string[]; sizes: number[] } {
    const paths = new Array<string>(end - start);
    const sizes = new Array<number>(end - start);
    for (let i = start; i < end; i++) {
      paths[i - start] = this.files[i]!.path;
      sizes[i - start] = this.files[i]!.size;
    }
    return { paths, sizes };
  }

  /** Hashes queued files on this thread for up to SLICE_MS (at least one file). */
  private hashSlice(): void {
    mainThreadBuffer ??= Buffer.allocUnsafe(READ_BUFFER_BYTES);
    const started = performance.now();
    const signal = this.p.signal;
    while (
      this.next < this.files.length &&
      performance.now() - started < SLICE_MS &&
      signal?.aborted !== true
    ) {
      const index = this.next++;
      const { path, size } = this.files[index]!;
      this.p.onDigest(index, readDigest(`${this.p.root}/${path}`, mainThreadBuffer, size));
    }
  }
}
