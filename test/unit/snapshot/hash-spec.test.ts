import { createHash } from "node:crypto";
import { chmodSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { buildSnapshot, comparePaths, sortEntries } from "../../../src/snapshot/index.js";
import { makeTree, removeTree } from "./helpers.js";

const dirs: string[] = [];
afterEach(() => dirs.splice(0).forEach(removeTree));
const tree = (spec: Parameters<typeof makeTree>[0]) => {
  const dir = makeTree(spec);
  dirs.push(dir);
  return dir;
};
const hashOf = async (root: string) => (await buildSnapshot({ root, cacheFile: null })).hash;
const sha = (data: string | Buffer) => createHash("sha256").update(data).digest("hex");

describe("snapshot hash (docs/snapshot-hash.md)", () => {
  it("matches the worked example, computed here from the spec", async () => {
    const readme = "hello\n";
    const run = "#!/bin/sh\necho hi\n";
    const root = tree({
      "README.md": readme,
      "bin/run.sh": { content: run, exec: true },
      "docs/link": { symlink: "../README.md" },
      empty: "",
    });
    const records = [
      `file\0README.md\x00644\0${readme.length}\0${sha(readme)}\0`,
      "dir\0bin\0",
      `file\0bin/run.sh\x00755\0${run.length}\0${sha(run)}\0`,
      "dir\0docs\0",
      "symlink\0docs/link\0../README.md\0",
      `file\0empty\x00644\x000\0${sha("")}\0`,
    ];
    const expected = sha(`pikaci-snapshot-v1\0${records.join("")}`);
    expect(expected).toBe("472a63bfb8711bf27b8455598153052147d31dbaf1ccfe108a956d596578a4bb");
    expect(await hashOf(root)).toBe(expected);
  });

  it("changes on a chmod-only change", async () => {
    const root = tree({ "a.sh": "echo\n" });
    const before = await hashOf(root);
    chmodSync(join(root, "a.sh"), 0o755);
    expect(await hashOf(root)).not.toBe(before);
  });

  it("length-prefixes content: a=xy,b='' differs from a=x,b=y", async () => {
    expect(await hashOf(tree({ a: "xy", b: "" }))).not.toBe(await hashOf(tree({ a: "x", b: "y" })));
  });

  it("changes when a symlink target changes, and does not follow the link", async () => {
    const a = tree({ f: "1", l: { symlink: "/etc/passwd" } });
    const b = tree({ f: "1", l: { symlink: "/etc/hostname" } });
    expect(await hashOf(a)).not.toBe(await hashOf(b));
    const snap = await buildSnapshot({ root: a, cacheFile: null });
    expect(snap.entries.find((e) => e.path === "l")).toEqual({
      type: "symlink",
      path: "l",
      target: "/etc/passwd",
    });
  });

  it("is independent of creation order and ignores the root metadata file", async () => {
    const a = tree({ "x/1": "1", "y/2": "2" });
    const b = tree({ "y/2": "2", "x/1": "1", "pikaci-snapshot.json": "{}" });
    expect(await hashOf(a)).toBe(await hashOf(b));
    writeFileSync(join(b, "x/pikaci-snapshot.json"), "{}");
    expect(await hashOf(b)).not.toBe(await hashOf(a));
  });

  it("sorts by UTF-8 bytes, not UTF-16 code units", () => {
    // U+FF5E (EF BD 9E) < U+1F600 (F0 9F 98 80) in UTF-8, but not in UTF-16 (FF5E > D83D).
    const paths = ["\u{1F600}", "\uFF5E", "a", "B", "a/b", "a-b"];
    const sorted = sortEntries(paths.map((path) => ({ path }))).map((e) => e.path);
    expect(sorted).toEqual(["B", "a", "a-b", "a/b", "\uFF5E", "\u{1F600}"]);
    expect(comparePaths("\uFF5E", "\u{1F600}")).toBeLessThan(0);
  });
});
