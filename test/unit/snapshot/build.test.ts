import { rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { UsageError } from "../../../src/errors/index.js";
import { buildSnapshot, isExcluded } from "../../../src/snapshot/index.js";
import { git, makeTree, removeTree } from "./helpers.js";

const dirs: string[] = [];
afterEach(() => dirs.splice(0).forEach(removeTree));

const fixture = {
  "src/main.ts": "main",
  "src/build/gen.ts": "nested build dir is source",
  "src/target/x": "target at any depth is excluded",
  "lib/node_modules/dep.js": "nested node_modules stays",
  "node_modules/dep/index.js": "top-level node_modules is excluded",
  "build/out.js": "top-level build is excluded",
  "target/debug/bin": "excluded",
  ".direnv/env": "excluded",
  "sub/.pikaci/state": "excluded",
  "pikaci-snapshot.json": "{}",
  "tool.sh": { content: "#!/bin/sh\n", exec: true },
  "out-link": { symlink: "/outside/the/tree" },
};
const expectedPaths = [
  "lib",
  "lib/node_modules",
  "lib/node_modules/dep.js",
  "out-link",
  "src",
  "src/build",
  "src/build/gen.ts",
  "src/main.ts",
  "tool.sh",
];

describe("buildSnapshot file selection", () => {
  it("walks a plain directory with the default excludes", async () => {
    const root = makeTree(fixture);
    dirs.push(root);
    const snap = await buildSnapshot({ root, cacheFile: null });
    expect(snap.source).toBe("walk");
    expect(snap.entries.map((e) => e.path)).toEqual(expectedPaths);
    expect(snap.entries.find((e) => e.path === "tool.sh")).toMatchObject({
      type: "file",
      exec: true,
      size: 10,
    });
    expect(snap.files).toBe(4);
  });

  it("in a git work tree: tracked + untracked non-ignored, deleted-but-tracked skipped", async () => {
    const root = makeTree({ ...fixture, ".gitignore": "ignored.txt\n", "ignored.txt": "x", "gone.txt": "x" });
    dirs.push(root);
    git(root, "init", "-q");
    git(root, "add", "-A", "-f", "--", ".gitignore", "src", "tool.sh", "gone.txt", "build");
    git(root, "commit", "-qm", "fixture");
    rmSync(join(root, "gone.txt"));
    writeFileSync(join(root, "untracked.txt"), "new");
    const snap = await buildSnapshot({ root, cacheFile: null });
    expect(snap.source).toBe("git");
    const paths = snap.entries.map((e) => e.path);
    // Same excludes as the walk (even for tracked build/out.js), plus .gitignore and untracked files.
    expect(paths).toEqual([".gitignore", ...expectedPaths, "untracked.txt"].sort());
    expect(paths).not.toContain("ignored.txt");
    expect(paths).not.toContain("gone.txt");
    // The same content hashes the same with and without git.
    const plain = makeTree({ ...fixture, ".gitignore": "ignored.txt\n", "untracked.txt": "new" });
    dirs.push(plain);
    expect((await buildSnapshot({ root: plain, cacheFile: null })).hash).toBe(snap.hash);
  });

  it("rejects a missing directory with a usage error", async () => {
    await expect(buildSnapshot({ root: "/nonexistent/pikaci", cacheFile: null })).rejects.toBeInstanceOf(
      UsageError,
    );
  });

  it("excludes exactly the documented names", () => {
    expect(isExcluded("a/b/target")).toBe(true);
    expect(isExcluded("target")).toBe(true);
    expect(isExcluded("x/.git/config")).toBe(true);
    expect(isExcluded("node_modules/a")).toBe(true);
    expect(isExcluded("a/node_modules/b")).toBe(false);
    expect(isExcluded("build")).toBe(true);
    expect(isExcluded("a/build")).toBe(false);
    expect(isExcluded("targets/x")).toBe(false);
    expect(isExcluded("pikaci-snapshot.json")).toBe(true);
    expect(isExcluded("a/pikaci-snapshot.json")).toBe(false);
  });
});
