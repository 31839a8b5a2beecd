import { execFileSync, spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdtemp, readdir, rm, symlink } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

/**
 * The README's two commands, in order, in a fresh clone: the demo (command 1) writes ./.pikaci/,
 * and `npm test`'s lint step (command 2's first check) must still pass. The clone is of the
 * committed HEAD, as a new user gets it; node_modules is the installed one, linked in.
 */
const ROOT = path.resolve(import.meta.dirname, "../..");
let clone: string;

beforeAll(async () => {
  const dir = await mkdtemp(path.join(tmpdir(), "pikaci-readme-"));
  clone = path.join(dir, "pikaci");
  execFileSync("git", ["clone", "--quiet", "--no-hardlinks", ROOT, clone], { stdio: "pipe" });
  await symlink(path.join(ROOT, "node_modules"), path.join(clone, "node_modules"));
});
afterAll(async () => {
  if (clone) await rm(path.dirname(clone), { recursive: true, force: true });
});

describe("the README's commands in a fresh clone", () => {
  it("command 1 (the demo) leaves a tree that the lint step of command 2 accepts", async () => {
    const demo = spawnSync(
      process.execPath,
      ["bin/pikaci.js", "run", "--config", "examples/demo/.github/pikaci.yml"],
      { cwd: clone, encoding: "utf8", env: { PATH: process.env.PATH, HOME: process.env.HOME } },
    );
    // The demo fails on purpose (a test failure and a timeout), with exit code 1.
    expect(demo.status, demo.stderr).toBe(1);
    expect(existsSync(path.join(clone, ".pikaci/runs"))).toBe(true);
    // The run's records are JSON that biome would reformat, were it to look at them.
    expect(await readdir(path.join(clone, ".pikaci/runs"))).toHaveLength(1);
    // The exact lint step of scripts/test.sh.
    const lint = spawnSync("npx", ["biome", "check", "."], { cwd: clone, encoding: "utf8" });
    expect(lint.status, `${lint.stdout}\n${lint.stderr}`).toBe(0);
  });
});
