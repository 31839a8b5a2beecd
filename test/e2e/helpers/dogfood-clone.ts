// A clean clone of this repository with its dependencies prepared, as CI has it after `npm ci`:
// the committed tree plus a node_modules (hard links to this checkout's install when the file
// system allows, else a copy), for running pikaci's own lanes on pikaci.
import { execFileSync } from "node:child_process";
import { realpathSync } from "node:fs";
import { join } from "node:path";
import { REPO_ROOT } from "./test-host.js";

export function dogfoodClone(into: string): string {
  const repo = join(into, "pikaci");
  execFileSync("git", ["clone", "-q", "--no-hardlinks", REPO_ROOT, repo]);
  const modules = realpathSync(join(REPO_ROOT, "node_modules"));
  try {
    execFileSync("cp", ["-al", modules, join(repo, "node_modules")]);
  } catch {
    execFileSync("cp", ["-a", modules, join(repo, "node_modules")]);
  }
  return repo;
}
