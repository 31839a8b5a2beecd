import { execFile } from "node:child_process";
import { createHash } from "node:crypto";
import { basename, resolve } from "node:path";
import { promisify } from "node:util";

const execFileAsync = promisify(execFile);

/**
 * Which workspace a snapshot belongs to, for the host-side delta base (`bases/<lineage key>` on
 * the host). Default: the git remote `origin` URL without credentials, so every clone and CI
 * runner of one repository shares a base; outside git (or without a remote), the directory name.
 * A wrong guess only costs a larger delta, never a wrong snapshot.
 */
export async function defaultBaseKey(root: string): Promise<string> {
  try {
    const { stdout } = await execFileAsync("git", ["-C", root, "config", "--get", "remote.origin.url"], {
      encoding: "utf8",
    });
    const url = stdout.trim();
    if (url !== "") return `git:${normalizeRemoteUrl(url)}`;
  } catch {
    // Not a git work tree, or no origin remote.
  }
  return `dir:${basename(resolve(root))}`;
}

/** Drops `user:token@` (a token must never become part of the key, and rotates) and a `.git` suffix. */
export function normalizeRemoteUrl(url: string): string {
  return url.replace(/^([a-z][a-z0-9+.-]*:\/\/)[^/@]*@/i, "$1").replace(/\.git\/?$/, "");
}

/** The file name on the host: hex, so the key itself (which may be a URL) never reaches a shell. */
export function lineageKey(baseKey: string): string {
  return createHash("sha256").update(baseKey, "utf8").digest("hex").slice(0, 32);
}
