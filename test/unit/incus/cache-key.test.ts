import { describe, expect, it } from "vitest";
import { UsageError } from "../../../src/errors/index.js";
import { hashFiles, parseGlobs, renderKey } from "../../../src/executor/incus/cache-key.js";
import type { SnapshotEntry } from "../../../src/snapshot/entries.js";

const file = (path: string, digest: string): SnapshotEntry => ({
  type: "file",
  path,
  exec: false,
  size: 1,
  digest,
});
const entries = [
  file("package-lock.json", "a".repeat(64)),
  file("sub/package-lock.json", "b".repeat(64)),
  file("x.txt", "c".repeat(64)),
];

describe("cache keys", () => {
  it("renders hashFiles over the snapshot's matching files; the key changes with their content", () => {
    const key = renderKey("npm-{{ hashFiles('package-lock.json') }}", () => entries);
    expect(key).toMatch(/^npm-[0-9a-f]{32}$/);
    const changed = [file("package-lock.json", "d".repeat(64)), ...entries.slice(1)];
    expect(renderKey("npm-{{ hashFiles('package-lock.json') }}", () => changed)).not.toBe(key);
    expect(renderKey("npm-{{ hashFiles('x.txt') }}", () => changed)).toBe(
      renderKey('npm-{{hashFiles("x.txt")}}', () => entries),
    );
  });

  it("several globs, no match is the empty string, literal keys pass through", () => {
    expect(parseGlobs(`'**/package-lock.json', "x.txt"`)).toEqual(["**/package-lock.json", "x.txt"]);
    expect(hashFiles(entries, ["nothing/**"])).toBe("");
    expect(renderKey("plain-key_1.0", () => [])).toBe("plain-key_1.0");
    expect(hashFiles(entries, ["**/package-lock.json"])).not.toBe(hashFiles(entries, ["package-lock.json"]));
  });

  it("rejects other expressions, unsafe characters and bad arguments with a usage error", () => {
    expect(() => renderKey("{{ runner.os }}-x", () => [])).toThrow(UsageError);
    expect(() => renderKey("a/b", () => [])).toThrow(UsageError);
    expect(() => renderKey("{{ hashFiles('nothing') }}", () => entries)).toThrow(/renders to ""/);
    expect(() => renderKey("k-{{ hashFiles(x) }}", () => entries)).toThrow(UsageError);
  });
});
