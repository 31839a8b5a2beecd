import { closeSync, fstatSync, ftruncateSync, openSync, readSync, rmSync, writeSync } from "node:fs";

import { type LogTruncation, MIN_LOG_LIMIT_BYTES } from "../schema/index.js";

export type { LogTruncation };

/** Room kept inside the cap for the marker line between head and tail. */
export const MARKER_RESERVE_BYTES = 512;
/** Head and tail are trimmed to whole lines when a line break lies this close to the cut. */
const LINE_SNAP_BYTES = 4096;
const COPY_CHUNK = 1024 * 1024;

export function truncationMarker(t: LogTruncation): string {
  const omitted = t.total_bytes - t.head_bytes - t.tail_bytes;
  return `\n[pikaci: log truncated: kept first ${t.head_bytes} and last ${t.tail_bytes} of ${t.total_bytes} bytes; ${omitted} bytes omitted (log_limit ${t.limit_bytes})]\n`;
}

/**
 * A log file that never grows past `limitBytes`: it keeps the head and the tail of what was
 * written. Up to the cap, bytes go straight to the file, so a live reader sees them. Past it, the
 * file is cut back to its head and the tail is kept in a ring file beside it; `close` joins them
 * with a marker line. Memory stays at one copy chunk whatever is written. Writes are synchronous:
 * they land in the page cache in microseconds, and a lane that prints faster than the disk
 * takes them is slowed down instead of filling this process's memory.
 */
export class CappedLogFile {
  readonly #path: string;
  readonly #limit: number;
  readonly #head: number;
  readonly #ringSize: number;
  #fd: number;
  #ringFd: number | null = null;
  #total = 0;
  #closed = false;

  constructor(path: string, limitBytes: number) {
    if (!Number.isInteger(limitBytes) || limitBytes < MIN_LOG_LIMIT_BYTES) {
      throw new RangeError(`log limit must be a whole number of bytes ≥ ${MIN_LOG_LIMIT_BYTES}`);
    }
    this.#path = path;
    this.#limit = limitBytes;
    const content = limitBytes - MARKER_RESERVE_BYTES;
    this.#head = Math.floor(content / 2);
    this.#ringSize = content - this.#head;
    // Positional writes everywhere: O_APPEND would ignore the offsets the ring join needs.
    closeSync(openSync(path, "a"));
    this.#fd = openSync(path, "r+");
    this.#total = fstatSync(this.#fd).size;
  }

  get totalBytes(): number {
    return this.#total;
  }

  write(data: string | Uint8Array): void {
    if (this.#closed) return;
    const bytes = typeof data === "string" ? Buffer.from(data, "utf8") : Buffer.from(data);
    if (bytes.length === 0) return;
    let rest = bytes;
    if (this.#ringFd === null) {
      const room = this.#limit - this.#total;
      const now = rest.subarray(0, Math.max(0, room));
      if (now.length > 0) writeAll(this.#fd, now, this.#total);
      this.#total += now.length;
      rest = rest.subarray(now.length);
      if (rest.length === 0) return;
      this.#startRing();
    }
    this.#writeRing(rest);
  }

  /** Finish the file. Returns what was cut, or null when everything fit. Safe to call twice. */
  close(): LogTruncation | null {
    if (this.#closed) return null;
    this.#closed = true;
    try {
      if (this.#ringFd === null) return null;
      return this.#joinHeadAndTail();
    } finally {
      closeSync(this.#fd);
      if (this.#ringFd !== null) {
        closeSync(this.#ringFd);
        rmSync(this.#ringPath(), { force: true });
      }
    }
  }

  #ringPath(): string {
    return `${this.#path}.tail`;
  }

  /** The cap was just reached: move the file's last ring-size bytes into the ring, keep the head. */
  #startRing(): void {
    const ring = openSync(this.#ringPath(), "w+");
    this.#ringFd = ring;
    const from = this.#total - this.#ringSize;
    copyRange(this.#fd, from, this.#ringSize, (chunk, at) => {
      this.#ringWriteAt(chunk, from + at);
    });
    ftruncateSync(this.#fd, this.#head);
    const note = `\n[pikaci: log over its ${this.#limit}-byte limit; the tail is added here when the lane ends]\n`;
    writeAll(this.#fd, Buffer.from(note), this.#head);
  }

  #writeRing(bytes: Buffer): void {
    // Only the last ring-size bytes of a huge chunk can survive.
    const keep = bytes.length > this.#ringSize ? bytes.subarray(bytes.length - this.#ringSize) : bytes;
    const skipped = bytes.length - keep.length;
    this.#ringWriteAt(keep, this.#total + skipped);
    this.#total += bytes.length;
  }

  /** Write bytes that belong at absolute log offset `offset` into the ring (offset mod size). */
  #ringWriteAt(bytes: Buffer, offset: number): void {
    const fd = this.#ringFd!;
    let pos = offset % this.#ringSize;
    let rest = bytes;
    while (rest.length > 0) {
      const n = Math.min(rest.length, this.#ringSize - pos);
      writeAll(fd, rest.subarray(0, n), pos);
      rest = rest.subarray(n);
      pos = 0;
    }
  }

  #joinHeadAndTail(): LogTruncation {
    const ring = this.#ringFd!;
    const headBytes = snapHeadEnd(this.#fd, this.#head);
    const tailStart = this.#total - this.#ringSize;
    const skip = snapTailStart(ring, tailStart % this.#ringSize, this.#ringSize);
    const truncation: LogTruncation = {
      limit_bytes: this.#limit,
      total_bytes: this.#total,
      head_bytes: headBytes,
      tail_bytes: this.#ringSize - skip,
    };
    ftruncateSync(this.#fd, headBytes);
    let at = headBytes;
    const marker = Buffer.from(truncationMarker(truncation));
    writeAll(this.#fd, marker, at);
    at += marker.length;
    // The ring in log order: from the oldest kept byte round to the newest.
    const start = (tailStart + skip) % this.#ringSize;
    const pieces: Array<[number, number]> =
      start + truncation.tail_bytes <= this.#ringSize
        ? [[start, truncation.tail_bytes]]
        : [
            [start, this.#ringSize - start],
            [0, truncation.tail_bytes - (this.#ringSize - start)],
          ];
    for (const [from, length] of pieces) {
      copyRange(ring, from, length, (chunk) => {
        writeAll(this.#fd, chunk, at);
        at += chunk.length;
      });
    }
    return truncation;
  }
}

function writeAll(fd: number, bytes: Uint8Array, position: number): void {
  let done = 0;
  while (done < bytes.length) {
    done += writeSync(fd, bytes, done, bytes.length - done, position + done);
  }
}

function copyRange(
  fd: number,
  from: number,
  length: number,
  sink: (chunk: Buffer, at: number) => void,
): void {
  const buf = Buffer.alloc(Math.min(COPY_CHUNK, Math.max(1, length)));
  let done = 0;
  while (done < length) {
    const n = readSync(fd, buf, 0, Math.min(buf.length, length - done), from + done);
    if (n === 0) break;
    sink(Buffer.from(buf.subarray(0, n)), done);
    done += n;
  }
}

/** End the head after its last line break when one lies near the cut, so no line is split. */
function snapHeadEnd(fd: number, head: number): number {
  const window = Math.min(head, LINE_SNAP_BYTES);
  const buf = Buffer.alloc(window);
  const n = readSync(fd, buf, 0, window, head - window);
  const nl = buf.subarray(0, n).lastIndexOf(0x0a);
  return nl < 0 ? head : head - window + nl + 1;
}

/** Start the tail after its first line break when one lies near the cut. Returns bytes skipped. */
function snapTailStart(ring: number, start: number, size: number): number {
  const window = Math.min(size, LINE_SNAP_BYTES);
  const buf = Buffer.alloc(window);
  let got = 0;
  let pos = start;
  while (got < window) {
    const n = readSync(ring, buf, got, Math.min(window - got, size - pos), pos);
    if (n === 0) break;
    got += n;
    pos = (pos + n) % size;
  }
  const nl = buf.subarray(0, got).indexOf(0x0a);
  return nl < 0 ? 0 : nl + 1;
}
