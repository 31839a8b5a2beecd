import { execFileSync, spawnSync } from "node:child_process";
import { appendFileSync, readFileSync, realpathSync, symlinkSync, writeFileSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

/**
 * scripts/release.sh in a clone of this repository: it must refuse a stale dist/ (and failing
 * tests, and a dirty tree) without creating a tag, and tag vX.Y.Z + move vX when all is well.
 */
const repo = path.resolve(import.meta.dirname, "../..");
let clone: string;

const git = (...args: string[]) =>
  execFileSync("git", ["-c", "user.name=t", "-c", "user.email=t@example.org", ...args], {
    cwd: clone,
    encoding: "utf8",
  }).trim();

function release(...args: string[]) {
  const r = spawnSync("bash", ["scripts/release.sh", ...args], { cwd: clone, encoding: "utf8" });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

beforeAll(async () => {
  clone = await mkdtemp(path.join(tmpdir(), "pikaci-release-"));
  execFileSync("git", ["clone", "-q", repo, clone]);
  symlinkSync(realpathSync(path.join(repo, "node_modules")), path.join(clone, "node_modules"));
  // Prepare 1.0.0 the documented way: version, changelog section, fresh build, commit.
  const pkg = JSON.parse(readFileSync(path.join(clone, "package.json"), "utf8"));
  writeFileSync(
    path.join(clone, "package.json"),
    `${JSON.stringify({ ...pkg, version: "1.0.0" }, null, 2)}\n`,
  );
  const changelog = readFileSync(path.join(clone, "CHANGELOG.md"), "utf8");
  writeFileSync(
    path.join(clone, "CHANGELOG.md"),
    changelog.replace("## [Unreleased]", "## [1.0.0] - 2026-12-02"),
  );
  execFileSync(process.execPath, ["scripts/bundle.mjs"], { cwd: clone });
  git("commit", "-qam", "1.0.0");
}, 120_000);
afterAll(async () => {
  await rm(clone, { recursive: true, force: true });
});

describe("scripts/release.sh", () => {
  it("refuses a stale dist/, naming the fix, and creates no tag", () => {
    appendFileSync(path.join(clone, "dist/app.js"), "// edited by hand\n");
    git("commit", "-qam", "a hand-edited bundle");
    const r = release("1.0.0", "--test-command", "true");
    expect(r.status).not.toBe(0);
    expect(r.stderr).toContain("release refused: dist/ is stale");
    expect(r.stderr).toContain("run `npm run build`, commit dist/");
    expect(git("tag", "-l")).toBe("");
    git("reset", "-q", "--hard", "HEAD~1");
  });

  it("refuses when the tests fail, and creates no tag", () => {
    const r = release("1.0.0", "--test-command", "exit 1");
    expect(r.status).not.toBe(0);
    expect(r.stderr).toContain("release refused: the tests failed");
    expect(git("tag", "-l")).toBe("");
  });

  it("refuses a dirty work tree and a version package.json does not carry", () => {
    appendFileSync(path.join(clone, "dist/app.js"), "// uncommitted\n");
    expect(release("1.0.0", "--test-command", "true").stderr).toContain("uncommitted changes");
    git("checkout", "--", "dist/app.js");
    expect(release("1.0.1", "--test-command", "true").stderr).toContain("package.json says 1.0.0, not 1.0.1");
    expect(git("tag", "-l")).toBe("");
  });

  it("tags v1.0.0 with the changelog section and moves v1 to the same commit", () => {
    const r = release("1.0.0", "--test-command", "true");
    expect(r.stderr).toBe("");
    expect(r.status).toBe(0);
    const head = git("rev-parse", "HEAD");
    expect(git("rev-parse", "v1.0.0^{commit}")).toBe(head);
    expect(git("rev-parse", "v1^{commit}")).toBe(head);
    expect(git("tag", "-l", "--format=%(contents)", "v1.0.0")).toContain("First release");
    expect(r.stdout).toContain("git push --force origin v1");
  });
});
