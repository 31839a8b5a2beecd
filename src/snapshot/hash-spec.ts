import { createHash } from "node:crypto";
import type { SnapshotEntry } from "./entries.js";

/**
 * The snapshot hash, exactly as docs/snapshot-hash.md specifies it. Pure: entries in, hex out.
 * Every field is terminated by NUL (which no path, target or number can contain) and the record
 * type fixes the number of fields, so the byte stream parses one way only. Content enters through
 * its size and SHA-256 digest, which is the length prefix the original lacked.
 */
export const HASH_PREFIX = "pikaci-snapshot-v1\0";

export function encodeEntry(entry: SnapshotEntry): string {
  switch (entry.type) {
    case "file":
      return `file\0${entry.path}\0${entry.exec ? "755" : "644"}\0${entry.size}\0${entry.digest}\0`;
    case "symlink":
      return `symlink\0${entry.path}\0${entry.target}\0`;
    case "dir":
      return `dir\0${entry.path}\0`;
  }
}

/** Byte order of the UTF-8 encoding (not UTF-16 code-unit order, which differs above U+FFFF). */
export function comparePaths(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, "utf8"), Buffer.from(b, "utf8"));
}

export function sortEntries<T extends { path: string }>(entries: readonly T[]): T[] {
  // Below U+D800, UTF-16 code-unit order equals UTF-8 byte order, and string compare is ~10x cheaper.
  if (!entries.some((entry) => /[\uD800-\uFFFF]/.test(entry.path))) {
    return [...entries].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  }
  return entries
    .map((entry) => ({ entry, key: Buffer.from(entry.path, "utf8") }))
    .sort((a, b) => Buffer.compare(a.key, b.key))
    .map(({ entry }) => entry);
}

/** `entries` must already be sorted with `sortEntries` and free of duplicate paths. */
export function hashSortedEntries(entries: readonly SnapshotEntry[]): string {
  const hash = createHash("sha256");
  hash.update(HASH_PREFIX, "utf8");
  // Batched: one update per ~1000 records instead of one per record.
  for (let i = 0; i < entries.length; i += 1000) {
    hash.update(
      entries
        .slice(i, i + 1000)
        .map(encodeEntry)
        .join(""),
      "utf8",
    );
  }
  return hash.digest("hex");
}
