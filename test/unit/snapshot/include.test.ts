import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { UsageError } from "../../../src/errors/index.js";
import { globBase, isNeverIncluded, listIncluded } from "../../../src/snapshot/include.js";
import { buildSnapshot } from "../../../src/snapshot/index.js";
import { git, makeTree, removeTree } from "./helpers.js";

const dirs: string[] = [];
afterEach(() => dirs.splice(0).forEach(removeTree));

const tree = {
  ".gitignore": "node_modules/\ndist/\n",
  "src/main.ts": "main",
  "node_modules/dep/index.js": "module.exports = 1",
  "node_modules/dep/.npmignore": "dot files are part of packages",
  "node_modules/dep/target/x.js": "include overrides the `target` exclude",
  "node_modules/.bin/dep": { symlink: "../dep/index.js" },
  "node_modules/.pikaci/x": "never included",
  "dist/out.js": "ignored, not included",
};

async function gitTree(): Promise<string> {
  const root = makeTree(tree);
  dirs.push(root);
  git(root, "init", "-q");
  git(root, "add", "-A");
  git(root, "commit", "-qm", "fixture");
  return root;
}

describe("snapshot.include", () => {
  it("adds ignored files matched by the globs, symlinks as entries, dot files too", async () => {
    const root = await gitTree();
    const snap = await buildSnapshot({ root, cacheFile: null, include: ["node_modules/**"] });
    const paths = snap.entries.map((e) => e.path);
    expect(paths).toEqual([
      ".gitignore",
      "node_modules",
      "node_modules/.bin",
      "node_modules/.bin/dep",
      "node_modules/dep",
      "node_modules/dep/.npmignore",
      "node_modules/dep/index.js",
      "node_modules/dep/target",
      "node_modules/dep/target/x.js",
      "src",
      "src/main.ts",
    ]);
    expect(snap.entries.find((e) => e.path === "node_modules/.bin/dep")).toEqual({
      type: "symlink",
      path: "node_modules/.bin/dep",
      target: "../dep/index.js",
    });
  });

  it("without include (or an empty one) the hash is the default one, and include changes it", async () => {
    const root = await gitTree();
    const plain = await buildSnapshot({ root, cacheFile: null });
    expect((await buildSnapshot({ root, cacheFile: null, include: [] })).hash).toBe(plain.hash);
    expect(plain.entries.some((e) => e.path.startsWith("node_modules"))).toBe(false);
    const included = await buildSnapshot({ root, cacheFile: null, include: ["node_modules/**"] });
    expect(included.hash).not.toBe(plain.hash);
  });

  it("a git work tree and a plain directory with the same files hash alike", async () => {
    const root = await gitTree();
    // Without git, dist/ is not ignored: leave it out of the plain copy.
    const { "dist/out.js": _ignored, ...rest } = tree;
    const plain = makeTree(rest);
    dirs.push(plain);
    const include = ["node_modules/**"];
    expect((await buildSnapshot({ root: plain, cacheFile: null, include })).hash).toBe(
      (await buildSnapshot({ root, cacheFile: null, include })).hash,
    );
  });

  it("a change inside an included directory changes the hash, also through a warm digest cache", async () => {
    const root = await gitTree();
    const cacheFile = join(root, "..", `${root.split("/").pop()}-digests.bin`);
    dirs.push(cacheFile);
    const include = ["node_modules/**"];
    const first = await buildSnapshot({ root, cacheFile, include });
    expect((await buildSnapshot({ root, cacheFile, include })).hash).toBe(first.hash);
    writeFileSync(join(root, "node_modules/dep/index.js"), "module.exports = 2");
    expect((await buildSnapshot({ root, cacheFile, include })).hash).not.toBe(first.hash);
    // A memo made without include is never served for a run with include, nor the other way round.
    const plain = await buildSnapshot({ root, cacheFile });
    expect((await buildSnapshot({ root, cacheFile })).hash).toBe(plain.hash);
    expect((await buildSnapshot({ root, cacheFile, include })).entries.length).toBeGreaterThan(
      plain.entries.length,
    );
  });

  it("a tracked file matched by an include is listed once", async () => {
    const root = await gitTree();
    const snap = await buildSnapshot({ root, cacheFile: null, include: ["src/**", "node_modules/dep/*.js"] });
    expect(snap.entries.filter((e) => e.path === "src/main.ts")).toHaveLength(1);
    expect(snap.entries.map((e) => e.path)).toContain("node_modules/dep/index.js");
    expect(snap.entries.map((e) => e.path)).not.toContain("node_modules/dep/target/x.js");
  });

  it("a glob with a leading ! leaves its matches out (a tool's cache inside node_modules)", async () => {
    const root = await gitTree();
    const snap = await buildSnapshot({
      root,
      cacheFile: null,
      include: ["node_modules/**", "!node_modules/dep/target/**"],
    });
    const paths = snap.entries.map((e) => e.path);
    expect(paths).toContain("node_modules/dep/index.js");
    expect(paths).not.toContain("node_modules/dep/target/x.js");
    expect(paths).not.toContain("node_modules/dep/target");
    expect(listIncluded(root, ["!node_modules/**"])).toEqual([]);
  });

  it("a glob whose base does not exist matches nothing; an escaping glob is a usage error", () => {
    const root = makeTree({ a: "x" });
    dirs.push(root);
    expect(listIncluded(root, ["node_modules/**"])).toEqual([]);
    expect(() => listIncluded(root, ["../x/**"])).toThrow(UsageError);
  });

  it("pure rules: glob bases and what is never included", () => {
    expect(globBase("node_modules/**")).toBe("node_modules");
    expect(globBase("**/*.node")).toBe("");
    expect(globBase("vendor/x/*.js")).toBe("vendor/x");
    expect(isNeverIncluded("a/.git/config")).toBe(true);
    expect(isNeverIncluded("pikaci-snapshot.json")).toBe(true);
    expect(isNeverIncluded("state/runs/x", "state")).toBe(true);
    expect(isNeverIncluded("node_modules/target/x")).toBe(false);
  });
});
