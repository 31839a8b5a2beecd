import { execFile } from "node:child_process";
import { promisify } from "node:util";

const run = promisify(execFile);

/** HEAD and dirtiness of the workspace, for the record; absent outside a git work tree. */
export async function gitMeta(workspace: string): Promise<{ git_head?: string; git_dirty?: boolean }> {
  try {
    const [head, status] = await Promise.all([
      run("git", ["-C", workspace, "rev-parse", "HEAD"]),
      run("git", ["-C", workspace, "status", "--porcelain", "--", "."]),
    ]);
    return { git_head: head.stdout.trim(), git_dirty: status.stdout.trim() !== "" };
  } catch {
    return {};
  }
}
