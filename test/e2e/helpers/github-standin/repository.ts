import { execFileSync } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";

/**
 * The repository behind the stand-in: a real git repository on disk. Contents, branch tips and a
 * pull request's files come from git, so the App, the runner's checkout and the test all see the
 * same commits.
 */
export interface Repository {
  dir: string;
  owner: string;
  name: string;
  fullName: string;
  defaultBranch: string;
  git(args: string[]): string;
  /** A commit sha for a branch, tag or sha; null when git does not know it. */
  resolve(ref: string): string | null;
  /** A file's bytes at a ref; null when it does not exist there. */
  readFile(ref: string, file: string): Buffer | null;
  /** Commit `files` (path → text; null deletes) on `branch`, created from `from` when new. */
  commit(params: {
    branch: string;
    from?: string;
    files: Record<string, string | null>;
    message: string;
  }): string;
  /** GitHub's pull request files: the diff from the merge base, renames with their old name. */
  changedFiles(
    base: string,
    head: string,
  ): { filename: string; status: string; previous_filename?: string }[];
}

export function createRepository(params: {
  dir: string;
  owner: string;
  name: string;
  files: Record<string, string>;
}): Repository {
  const { dir } = params;
  const git = (args: string[]) =>
    execFileSync("git", args, {
      cwd: dir,
      encoding: "utf8",
      stdio: ["ignore", "pipe", "pipe"],
      env: {
        PATH: process.env.PATH,
        HOME: dir,
        GIT_AUTHOR_NAME: "octocat",
        GIT_AUTHOR_EMAIL: "octocat@example.com",
        GIT_COMMITTER_NAME: "octocat",
        GIT_COMMITTER_EMAIL: "octocat@example.com",
      },
    });
  mkdirSync(dir, { recursive: true });
  git(["init", "--quiet", "--initial-branch=main"]);
  const repo: Repository = {
    dir,
    owner: params.owner,
    name: params.name,
    fullName: `${params.owner}/${params.name}`,
    defaultBranch: "main",
    git,
    resolve(ref) {
      try {
        return git(["rev-parse", "--verify", "--quiet", `${ref}^{commit}`]).trim() || null;
      } catch {
        return null;
      }
    },
    readFile(ref, file) {
      try {
        return execFileSync("git", ["show", `${ref}:${file}`], {
          cwd: dir,
          stdio: ["ignore", "pipe", "ignore"],
        });
      } catch {
        return null;
      }
    },
    commit({ branch, from, files, message }) {
      const exists = repo.resolve(`refs/heads/${branch}`) !== null;
      // The first commit goes on the unborn default branch `git init` left checked out.
      if (repo.resolve("HEAD") !== null || exists)
        git(["checkout", "--quiet", ...(exists ? [branch] : ["-b", branch, from ?? "main"])]);
      for (const [file, text] of Object.entries(files)) {
        const full = path.join(dir, file);
        if (text === null) {
          git(["rm", "--quiet", file]);
          continue;
        }
        mkdirSync(path.dirname(full), { recursive: true });
        writeFileSync(full, text);
        git(["add", file]);
      }
      git(["commit", "--quiet", "-m", message]);
      const sha = repo.resolve("HEAD")!;
      git(["checkout", "--quiet", "--detach"]);
      return sha;
    },
    changedFiles(base, head) {
      const out = git(["diff", "--name-status", "-M", `${base}...${head}`]).trim();
      if (out === "") return [];
      return out.split("\n").map((line) => {
        const [code, a, b] = line.split("\t") as [string, string, string | undefined];
        const status =
          { A: "added", D: "removed", M: "modified", R: "renamed", C: "copied" }[code[0]!] ?? "changed";
        return b ? { filename: b, status, previous_filename: a } : { filename: a, status };
      });
    },
  };
  repo.commit({ branch: "main", files: params.files, message: "initial" });
  return repo;
}
