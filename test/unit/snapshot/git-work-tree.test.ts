import { execFileSync } from "node:child_process";
import {
  chmodSync,
  readFileSync,
  rmSync,
  statSync,
  symlinkSync,
  unlinkSync,
  utimesSync,
  writeFileSync,
} from "node:fs";
import { dirname, join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { parseGitIndex } from "../../../src/snapshot/git-index.js";
import {
  applyChanges,
  candidatesOf,
  listGitWorkTree,
  parseStatus,
} from "../../../src/snapshot/git-work-tree.js";
import { buildSnapshot } from "../../../src/snapshot/index.js";
import { git, makeTree, removeTree, type Tree } from "./helpers.js";

const dirs: string[] = [];
afterEach(() => dirs.splice(0).forEach(removeTree));
/** Hash runs that start 10 s after the files were written, i.e. outside the digest cache's racy window. */
const later = () => Date.now() + 10_000;

const FILES: Tree = {
  "README.md": "hello\n",
  "bin/run.sh": { content: "#!/bin/sh\necho hi\n", exec: true },
  "docs/link": { symlink: "../README.md" },
  "src/a.txt": "a\n",
  "src/deep/b.txt": "b\n",
  ".gitignore": "ignored/\n*.log\n",
};

/** A committed repository whose index git has refreshed after the racy second (as any `git status` does). */
function repo(files: Tree = FILES, init: string[] = []): string {
  const root = makeTree(files);
  dirs.push(root);
  git(root, "init", "-q", ...init);
  git(root, "add", "-A");
  git(root, "commit", "-q", "-m", "init");
  settle(root);
  return root;
}

/** Age every file and the index by 10 s so no entry is racily clean, the state of a tree in use. */
function settle(root: string): void {
  const past = new Date(Date.now() - 10_000);
  for (const path of git(root, "ls-files", "-z").split("\0").filter(Boolean)) {
    try {
      if (!statSync(join(root, path)).isSymbolicLink()) utimesSync(join(root, path), past, past);
    } catch {
      // deleted in the work tree
    }
  }
  git(root, "update-index", "-q", "--refresh");
}

/** The same work tree hashed by the plain walk (no git at all): a copy without .git and ignored files. */
async function walkHash(root: string): Promise<string> {
  const copy = `${makeTree({})}/tree`;
  dirs.push(dirname(copy));
  execFileSync("cp", ["-a", root, copy]);
  rmSync(join(copy, ".git"), { recursive: true });
  const ignored = git(root, "ls-files", "-z", "--others", "--ignored", "--exclude-standard", "--directory");
  for (const path of ignored.split("\0").filter(Boolean)) rmSync(join(copy, path), { recursive: true });
  const snapshot = await buildSnapshot({ root: copy, cacheFile: null });
  expect(snapshot.source).toBe("walk");
  return snapshot.hash;
}

describe("git index reader", () => {
  it.each([2, 3, 4])("reads index version %i with the stat data lstat reports", (version) => {
    const root = repo();
    git(root, "update-index", "--index-version", String(version));
    if (version === 3) git(root, "update-index", "--skip-worktree", "src/a.txt"); // sets the extended flags
    const entries = parseGitIndex(readFileSync(join(root, ".git/index")))?.entries;
    expect(entries?.map((e) => e.path)).toEqual(git(root, "ls-files", "-z").split("\0").filter(Boolean));
    const readme = entries!.find((e) => e.path === "README.md")!;
    const stat = statSync(join(root, "README.md"));
    expect(readme).toMatchObject({
      size: stat.size,
      mtimeMs: stat.mtimeMs,
      ctimeMs: stat.ctimeMs,
      mode: 0o100644,
    });
    expect(readme.ino).toBe(stat.ino >>> 0);
    expect(entries!.find((e) => e.path === "bin/run.sh")!.mode).toBe(0o100755);
    expect(entries!.find((e) => e.path === "docs/link")!.mode).toBe(0o120000);
    expect(entries!.find((e) => e.path === "src/a.txt")!.untrusted).toBe(version === 3);
  });

  it("reads a SHA-256 repository's index", () => {
    const root = repo(FILES, ["--object-format=sha256"]);
    const index = parseGitIndex(readFileSync(join(root, ".git/index")));
    expect(index?.entries.length).toBe(6);
    expect(index?.checksum).toMatch(/^[0-9a-f]{64}$/);
  });

  it("refuses what it cannot read whole: a split index, a truncated file, another format", () => {
    const root = repo();
    git(root, "update-index", "--split-index");
    expect(parseGitIndex(readFileSync(join(root, ".git/index")))).toBeNull();
    const plain = repo();
    const index = readFileSync(join(plain, ".git/index"));
    expect(parseGitIndex(index)).not.toBeNull();
    expect(parseGitIndex(index.subarray(0, index.length - 30))).toBeNull();
    expect(parseGitIndex(Buffer.from("not an index"))).toBeNull();
  });
});

describe("git status records", () => {
  it("counts work-tree changes, conflicts and untracked files, not staged-only ones", () => {
    const records = [
      "# branch.oid 0123",
      "1 .M N... 100644 100644 100644 aaa aaa src/with space.txt",
      "1 M. N... 100644 100644 100644 aaa bbb staged-only.txt",
      "1 .D N... 100644 100644 000000 aaa aaa gone.txt",
      "u UU N... 100644 100644 100644 100644 a b c conflict.txt",
      "? new file.txt",
    ];
    const parsed = parseStatus(records)!;
    expect([...parsed.dirty].sort()).toEqual(["conflict.txt", "gone.txt", "src/with space.txt"]);
    expect(parsed.untracked).toEqual(["new file.txt"]);
    expect(parseStatus(["2 R. N... 100644 100644 100644 a a R100 new\0old"])).toBeNull();
  });

  it("moves changed candidates to the paths to stat, once each", () => {
    const { entries } = parseGitIndex(readFileSync(join(repo(), ".git/index")))!;
    const split = applyChanges(candidatesOf(entries), new Set(["README.md", "docs/link"]), ["new.txt"]);
    expect(split.indexed.map((f) => f.path)).toEqual([
      ".gitignore",
      "bin/run.sh",
      "src/a.txt",
      "src/deep/b.txt",
    ]);
    expect(split.paths).toEqual(["docs/link", "README.md", "new.txt"]);
  });
});

describe("snapshots of a git work tree", () => {
  it("hash exactly like the plain walk, and a warm re-hash takes every file from the index", async () => {
    const root = repo();
    writeFileSync(join(root, "untracked.txt"), "u\n");
    writeFileSync(join(root, "debug.log"), "ignored\n");
    const cold = await buildSnapshot({ root, cacheFile: null });
    expect(cold.source).toBe("git");
    expect(cold.hash).toBe(await walkHash(root));
    expect(cold.entries.map((e) => e.path)).toContain("untracked.txt");
    expect(cold.entries.map((e) => e.path)).not.toContain("debug.log");

    const cacheFile = join(root, ".pikaci/cache/d.bin");
    await buildSnapshot({ root, cacheFile, now: later });
    const listing = await listGitWorkTree({ root });
    expect(listing?.indexed.length).toBe(5); // every tracked regular file, none stat'ed by us
    const warm = await buildSnapshot({ root, cacheFile, now: later });
    expect(warm.hash).toBe(cold.hash);
    expect(warm.cacheHits).toBe(6); // 5 from the index, the untracked one by lstat
  });

  it("sees every kind of change a warm cache could hide", async () => {
    const root = repo();
    const cacheFile = join(root, ".pikaci/cache/d.bin");
    const hash = async () => {
      const snapshot = await buildSnapshot({ root, cacheFile, now: later });
      expect(snapshot.hash).toBe(await walkHash(root));
      return snapshot.hash;
    };
    const seen = new Set([await hash(), await hash()]);
    expect(seen.size).toBe(1);
    const changes: [string, () => void][] = [
      ["same-size content change", () => writeFileSync(join(root, "src/a.txt"), "A\n")],
      // Within the second of the index's last refresh, git sees no ctime change: the snapshot's exec
      // bit is the owner's, which git does compare.
      ["a group-only exec bit (not a change)", () => chmodSync(join(root, "README.md"), 0o654)],
      ["the owner's exec bit", () => chmodSync(join(root, "README.md"), 0o744)],
      ["a new untracked file", () => writeFileSync(join(root, "src/new.txt"), "n\n")],
      ["a deleted tracked file", () => unlinkSync(join(root, "src/deep/b.txt"))],
      ["a staged change", () => git(root, "add", "src/a.txt")],
      [
        "a file replaced by a symlink",
        () => {
          unlinkSync(join(root, "bin/run.sh"));
          symlinkSync("../README.md", join(root, "bin/run.sh"));
        },
      ],
    ];
    for (const [what, change] of changes) {
      change();
      const next = await hash();
      const changesContent = !["a staged change", "a group-only exec bit (not a change)"].includes(what);
      expect(seen.has(next), what).toBe(!changesContent);
      seen.add(next);
    }
  });

  it("does not rewrite the cache for a new file too recent to remember, nor lose its order", async () => {
    const root = repo();
    const cacheFile = join(root, ".pikaci/cache/d.bin");
    await buildSnapshot({ root, cacheFile, now: later });
    const written = () => statSync(cacheFile, { bigint: true }).mtimeNs;
    writeFileSync(join(root, "src/new.txt"), "new\n");
    // The first run of the now unclean tree drops the tree memo: one write.
    expect((await buildSnapshot({ root, cacheFile })).cacheHits).toBe(5);
    const before = written();
    // Untracked files are listed after the index's: every stored entry was met, in order, by then,
    // so the new one is known to be new without a path map, and there is nothing to write (this
    // used to rewrite the whole cache on every run while the file was recent).
    for (const _ of [1, 2]) expect((await buildSnapshot({ root, cacheFile })).cacheHits).toBe(5);
    expect(written()).toBe(before);
    // An edited tracked file is re-read; the files listed after it still hit.
    writeFileSync(join(root, "README.md"), "edited\n");
    expect((await buildSnapshot({ root, cacheFile, now: later })).cacheHits).toBe(4);
    expect((await buildSnapshot({ root, cacheFile, now: later })).cacheHits).toBe(6);
  });

  it("falls back to stat'ing every file where the index cannot be trusted as-is", async () => {
    const root = repo();
    const expected = await walkHash(root);
    // Git's location moved by the environment: the index at .git/index is not the one git uses.
    expect(
      (await buildSnapshot({ root, cacheFile: null, env: { GIT_INDEX_FILE: "/nonexistent" } })).hash,
    ).toBe(expected);
    expect(await listGitWorkTree({ root, env: { GIT_DIR: join(root, ".git") } })).toBeNull();
    // A workspace below the top of the work tree.
    const sub = await buildSnapshot({ root: join(root, "src"), cacheFile: null });
    expect(sub.entries.filter((e) => e.type === "file").map((e) => e.path)).toEqual(["a.txt", "deep/b.txt"]);
    expect(await listGitWorkTree({ root: join(root, "src") })).toBeNull();
  });
});

describe("the tree memo of a clean git work tree", () => {
  it("serves an unchanged clean tree exactly as a full listing would, and never past a change", async () => {
    const root = repo();
    const cacheFile = join(root, ".pikaci/cache/d.bin");
    const build = () => buildSnapshot({ root, cacheFile, now: later });
    expect((await build()).memo).toBe(false); // makes the memo
    const served = await build();
    expect(served.memo).toBe(true);
    const full = await buildSnapshot({ root, cacheFile: null });
    expect(served.entries).toEqual(full.entries);
    expect([served.hash, served.files, served.bytes]).toEqual([full.hash, full.files, full.bytes]);

    // Each change, and whether the run after the run that sees it may use a memo: only when the
    // tree is clean again (committed, nothing untracked) and git checks every entry.
    const steps: [string, boolean, () => void][] = [
      ["an edit, not committed", false, () => writeFileSync(join(root, "src/a.txt"), "A\n")],
      ["the edit committed", true, () => git(root, "commit", "-qam", "edit")],
      ["an untracked file", false, () => writeFileSync(join(root, "new.txt"), "n\n")],
      ["the untracked file removed", true, () => unlinkSync(join(root, "new.txt"))],
      [
        "a symlink retargeted, committed",
        true,
        () => {
          unlinkSync(join(root, "docs/link"));
          symlinkSync("../src/a.txt", join(root, "docs/link"));
          git(root, "commit", "-qam", "link");
        },
      ],
      [
        "a chmod +x, committed",
        true,
        () => {
          chmodSync(join(root, "src/a.txt"), 0o755);
          git(root, "commit", "-qam", "chmod");
        },
      ],
      [
        "a change to a file git no longer checks (skip-worktree)",
        false,
        () => {
          git(root, "update-index", "--skip-worktree", "src/deep/b.txt");
          writeFileSync(join(root, "src/deep/b.txt"), "B\n");
        },
      ],
    ];
    for (const [what, memoAfter, change] of steps) {
      change();
      const after = await build();
      expect(after.memo, what).toBe(false);
      expect(after.hash, what).toBe(await walkHash(root));
      const again = await build();
      expect(again.hash, what).toBe(after.hash);
      expect(again.memo, what).toBe(memoAfter);
    }
  });

  it("is not made when a digest could not be kept (a file too recent to trust)", async () => {
    const root = repo();
    const cacheFile = join(root, ".pikaci/cache/d.bin");
    // Default clock: the files' ctimes are seconds old at most, inside the racy window.
    await buildSnapshot({ root, cacheFile });
    expect((await buildSnapshot({ root, cacheFile })).memo).toBe(false);
    expect((await buildSnapshot({ root, cacheFile, now: later })).memo).toBe(false); // this one makes it
    expect((await buildSnapshot({ root, cacheFile, now: later })).memo).toBe(true);
  });
});
