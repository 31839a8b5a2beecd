/**
 * Terminal escape codes, one definition for every place that shows a log: check-run text, matchers,
 * the run page's HTML and its plain full-log route.
 *
 * One pass finds every escape sequence: CSI, 7-bit or C1 (group 1 = params, group 2 = final byte, so
 * a renderer can read SGR colours), OSC (titles, hyperlinks; unterminated ones run to the end), and
 * lone `ESC x`.
 */
export const ANSI_ESCAPE =
  /(?:\u001b\[|\u009b)([0-?]*)[ -/]*([@-~])|\u001b\][^\u0007\u001b]*(?:\u0007|\u001b\\)?|\u001b[@-Z\\-_]?/g;

/** Control characters a terminal would not print (tab, newline and carriage return are kept). */
export const CONTROL_CHARS = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/g;

/** Resolve carriage-return progress lines to what a terminal would finally show. */
export function resolveCarriageReturns(text: string): string {
  if (!text.includes("\r")) return text;
  return text
    .replace(/\r\n/g, "\n")
    .replace(/[^\n]*\r(?=[^\n])/g, "")
    .replace(/\r/g, "");
}

/** Plain text: progress lines resolved, every escape sequence and control character removed. */
export function stripAnsi(text: string): string {
  return resolveCarriageReturns(text).replace(ANSI_ESCAPE, "").replace(CONTROL_CHARS, "");
}
