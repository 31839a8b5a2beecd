import { lastLines } from "../report/log-tail.js";

/**
 * What the run page inlines of a log: only its tail (the end is where failures are), bounded in both
 * lines and bytes, so a 5 MB log costs the page a few kilobytes. Pure; the bytes come from the edge.
 */

export const TAIL_MAX_LINES = 200;
export const TAIL_MAX_BYTES = 64 * 1024;

export interface LogTail {
  text: string;
  /** Size of the whole log on disk. */
  total_bytes: number;
  shown_lines: number;
  /** Something before `text` was left out. */
  truncated: boolean;
}

/**
 * `bytes` is the end of a log of `totalBytes`; when shorter than the log, its first (partial) line is
 * dropped, and a cut inside a UTF-8 character is skipped rather than rendered as a replacement char.
 */
export function tailOfLog(
  bytes: Uint8Array,
  totalBytes: number,
  { maxLines = TAIL_MAX_LINES, maxBytes = TAIL_MAX_BYTES }: { maxLines?: number; maxBytes?: number } = {},
): LogTail {
  let start = Math.max(0, bytes.length - maxBytes);
  const truncated = totalBytes > bytes.length - start;
  if (truncated) {
    const newline = bytes.indexOf(0x0a, start);
    start = newline === -1 ? start : newline + 1;
    while (start < bytes.length && (bytes[start]! & 0xc0) === 0x80) start++;
  }
  const text = Buffer.from(bytes.buffer, bytes.byteOffset + start, bytes.length - start).toString("utf8");
  const kept = lastLines(text, maxLines);
  return {
    text: kept.text,
    total_bytes: totalBytes,
    shown_lines: kept.lines,
    truncated: truncated || kept.cut,
  };
}
