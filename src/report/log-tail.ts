import { stripAnsi } from "./ansi.js";
import { tailBytes } from "./bytes.js";
import { maskSecrets } from "./mask.js";

export interface LogTailOptions {
  maxLines?: number;
  maxBytes?: number;
  secrets?: readonly string[];
  /** Live logs: leave out an unfinished last line, which may hold the first half of a secret. */
  completeLinesOnly?: boolean;
}

/**
 * The last lines of a log, made fit for GitHub: escape codes stripped, secrets masked, at most
 * `maxLines` lines and `maxBytes` bytes (cut on a character boundary, keeping the end).
 * Masking runs before cutting, so a cut can never reveal half a secret that masking would have hidden.
 */
export function logTail(text: string, options: LogTailOptions = {}): string {
  const { maxLines = 100, maxBytes = 32 * 1024, secrets = [], completeLinesOnly = false } = options;
  // Work on a bounded window first: a 5 MB log does not need to be stripped whole for 100 lines.
  // A window starting mid-line drops that partial line, which could hold the end of a secret.
  let window = text;
  if (text.length > maxBytes * 8) {
    window = text.slice(text.length - maxBytes * 8);
    window = window.slice(window.indexOf("\n") + 1);
  }
  if (completeLinesOnly) window = window.slice(0, window.lastIndexOf("\n") + 1);
  const clean = maskSecrets(stripAnsi(window), secrets).replace(/\n+$/, "");
  return tailBytes(lastLines(clean, maxLines).text, maxBytes);
}

/**
 * The last `maxLines` lines of a text, trailing newlines dropped: the one line-counting tail behind
 * the check-run tail above, the run page's tail and the CLI's failure summary.
 */
export function lastLines(text: string, maxLines: number): { text: string; lines: number; cut: boolean } {
  const trimmed = text.replace(/\n+$/, "");
  if (trimmed === "") return { text: "", lines: 0, cut: false };
  let start = trimmed.length;
  for (let lines = 1; lines <= maxLines; lines++) {
    const previous = trimmed.lastIndexOf("\n", start - 1);
    if (previous === -1) return { text: trimmed, lines, cut: false };
    if (lines === maxLines) return { text: trimmed.slice(previous + 1), lines, cut: true };
    start = previous;
  }
  return { text: "", lines: 0, cut: true };
}

/** A fenced code block whose fence is longer than any backtick run inside, so the log cannot break out. */
export function codeBlock(text: string): string {
  const longest = Math.max(2, ...[...text.matchAll(/`+/g)].map((m) => m[0].length));
  const fence = "`".repeat(longest + 1);
  return `${fence}text\n${text}\n${fence}`;
}
