import { Octokit } from "@octokit/rest";
import nock from "nock";
import { afterEach, describe, expect, it } from "vitest";
import { changedPaths, GITHUB_PR_FILES_LIMIT, listChangedFiles } from "../../../src/github/changed-files.js";

const API = "https://api.github.test";
const octokit = new Octokit({ auth: "t", baseUrl: API });
const files = (from: number, count: number) =>
  Array.from({ length: count }, (_, i) => ({ filename: `src/f${from + i}.ts`, status: "modified" }));

/** GitHub's listing: pages of 100, and nothing past the 3000th file however many changed. */
function githubListing(total: number) {
  const listed = Math.min(total, GITHUB_PR_FILES_LIMIT);
  return nock(API)
    .get("/repos/o/r/pulls/7/files")
    .query(true)
    .times(Math.floor(listed / 100) + 1)
    .reply((uri) => {
      const page = Number(new URL(uri, API).searchParams.get("page") ?? 1);
      const start = (page - 1) * 100;
      return [200, files(start, Math.max(0, Math.min(100, listed - start)))];
    });
}

afterEach(() => nock.cleanAll());

describe("a pull request's changed files (App and Action)", () => {
  it("lists every page below the cap, with both paths of a rename", async () => {
    nock(API)
      .get("/repos/o/r/pulls/7/files")
      .query({ per_page: "100" })
      .reply(200, [...files(0, 99), { filename: "new.ts", previous_filename: "old.ts", status: "renamed" }])
      .get("/repos/o/r/pulls/7/files")
      .query({ per_page: "100", page: "2" })
      .reply(200, files(100, 5));
    const listed = await listChangedFiles({ request: octokit.request, owner: "o", repo: "r", pr: 7 });
    expect(listed).toHaveLength(106);
    expect(listed).toEqual(expect.arrayContaining(["new.ts", "old.ts", "src/f104.ts"]));
    expect(nock.isDone()).toBe(true);
  });

  it("over the cap: null (every lane is selected), after at most 30 pages", async () => {
    const scope = githubListing(4500);
    const listed = await listChangedFiles({ request: octokit.request, owner: "o", repo: "r", pr: 7 });
    expect(listed).toBeNull();
    // 30 full pages and no 31st request.
    expect(scope.pendingMocks()).toHaveLength(1);
  });

  it("exactly 2999 files is under the cap", async () => {
    githubListing(2999);
    const listed = await listChangedFiles({ request: octokit.request, owner: "o", repo: "r", pr: 7 });
    expect(listed).toHaveLength(2999);
  });

  it("does not list at all when the event already says the pull request is over the cap", async () => {
    const listed = await listChangedFiles({
      request: octokit.request,
      owner: "o",
      repo: "r",
      pr: 7,
      knownCount: 3001,
    });
    expect(listed).toBeNull();
  });

  it("changedPaths is null for a list that reached the cap", () => {
    expect(changedPaths(files(0, 3000))).toBeNull();
    expect(changedPaths(files(0, 3))).toEqual(["src/f0.ts", "src/f1.ts", "src/f2.ts"]);
  });
});
