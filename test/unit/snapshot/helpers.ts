import { execFileSync } from "node:child_process";
import { chmodSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";

export type Tree = Record<string, string | { content: string; exec?: boolean } | { symlink: string }>;

/** Writes a tree of files into a fresh temp dir; returns its path. */
export function makeTree(tree: Tree, into = mkdtempSync(join(tmpdir(), "pikaci-snap-"))): string {
  for (const [path, spec] of Object.entries(tree)) {
    const abs = join(into, path);
    mkdirSync(dirname(abs), { recursive: true });
    if (typeof spec === "string") writeFileSync(abs, spec);
    else if ("symlink" in spec) symlinkSync(spec.symlink, abs);
    else {
      writeFileSync(abs, spec.content);
      chmodSync(abs, spec.exec ? 0o755 : 0o644);
    }
  }
  return into;
}

export function git(cwd: string, ...args: string[]): string {
  return execFileSync("git", ["-c", "user.name=t", "-c", "user.email=t@example.invalid", ...args], {
    cwd,
    encoding: "utf8",
  });
}

export function removeTree(path: string): void {
  rmSync(path, { recursive: true, force: true });
}
