import { describe, expect, it } from "vitest";
import { hashSortedEntries, type SnapshotEntry, sortEntries } from "../../../src/snapshot/index.js";
import { MANIFEST_HEADER, manifestLine, parseManifest } from "../../../src/snapshot/manifest.js";

const entries: SnapshotEntry[] = sortEntries([
  { type: "dir", path: "a\tb" },
  { type: "file", path: "a\tb/new\nline", exec: true, size: 3, digest: "ab".repeat(32) },
  { type: "symlink", path: 'q"uote', target: "../x\ty" },
  { type: "file", path: "grüße", exec: false, size: 0, digest: "cd".repeat(32) },
]);
const hash = hashSortedEntries(entries);
const text = `${MANIFEST_HEADER}\t${hash}\n${[...entries].reverse().map(manifestLine).join("")}`;

describe("manifest", () => {
  it("round-trips any path, one line per entry, in any line order", () => {
    expect(text.split("\n")).toHaveLength(entries.length + 2);
    expect(parseManifest(text, hash)).toEqual(entries);
  });

  it("rejects a manifest for another hash, a truncated one and a doctored one", () => {
    expect(parseManifest(text, "0".repeat(64))).toBeNull();
    expect(parseManifest(text.slice(0, -10), hash)).toBeNull();
    expect(parseManifest(text.replace("\t755\t", "\t644\t"), hash)).toBeNull();
    expect(parseManifest(`${text}${manifestLine(entries[0]!)}`, hash)).toBeNull(); // duplicate line
  });
});
