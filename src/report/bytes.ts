/**
 * Byte-safe truncation. GitHub measures check output in UTF-8 bytes, so a string cut by
 * characters can still be too long, and a string cut by bytes can split a character.
 */

const encoder = new TextEncoder();

export function byteLength(text: string): number {
  return Buffer.byteLength(text, "utf8");
}

/** The longest prefix of `text` whose UTF-8 encoding fits in `maxBytes`, never splitting a code point. */
export function headBytes(text: string, maxBytes: number): string {
  if (maxBytes <= 0) return "";
  if (byteLength(text) <= maxBytes) return text;
  const bytes = encoder.encode(text);
  let end = maxBytes;
  // Back up over continuation bytes (10xxxxxx) so the cut lands on a code point boundary.
  while (end > 0 && (bytes[end]! & 0xc0) === 0x80) end--;
  return Buffer.from(bytes.subarray(0, end)).toString("utf8");
}

/** The longest suffix of `text` whose UTF-8 encoding fits in `maxBytes`, never splitting a code point. */
export function tailBytes(text: string, maxBytes: number): string {
  if (maxBytes <= 0) return "";
  if (byteLength(text) <= maxBytes) return text;
  const bytes = encoder.encode(text);
  let start = bytes.length - maxBytes;
  while (start < bytes.length && (bytes[start]! & 0xc0) === 0x80) start++;
  return Buffer.from(bytes.subarray(start)).toString("utf8");
}

/** Cut to `maxBytes`, keeping the head and ending with `marker` when something was dropped. */
export function truncateHead(text: string, maxBytes: number, marker = "\n… (truncated)"): string {
  if (byteLength(text) <= maxBytes) return text;
  return headBytes(text, maxBytes - byteLength(marker)) + marker;
}

/** Cut to `maxBytes`, keeping the tail (the end of a log is where the failure is). */
export function truncateTail(
  text: string,
  maxBytes: number,
  marker = "… (earlier output truncated)\n",
): string {
  if (byteLength(text) <= maxBytes) return text;
  return marker + tailBytes(text, maxBytes - byteLength(marker));
}

/** Cut to `maxChars` code points (titles are limited in characters, not bytes). */
export function truncateChars(text: string, maxChars: number): string {
  const points = Array.from(text);
  if (points.length <= maxChars) return text;
  return points.slice(0, Math.max(0, maxChars - 1)).join("") + "…";
}
