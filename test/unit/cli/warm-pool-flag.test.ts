import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type CliIO, main } from "../../../src/cli/main.js";

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), "pikaci-warm-pool-flag-"));
  await writeFile(path.join(dir, "pikaci.yml"), 'version: 1\nlanes:\n  - id: a\n    command: "true"\n');
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function run(argv: string[]) {
  let stderr = "";
  const io: CliIO = {
    stdout: { write: () => true },
    stderr: {
      write: (s: string) => {
        stderr += s;
        return true;
      },
    },
    env: {},
    cwd: dir,
    isTTY: false,
  };
  return { code: await main(argv, io), stderr };
}

describe("pikaci run --warm-pool", () => {
  it("refuses a value that is not a whole number from 0 to 64, naming the fix", async () => {
    const { code, stderr } = await run([
      "run",
      "-c",
      "pikaci.yml",
      "--host",
      "localhost",
      "--warm-pool",
      "two",
    ]);
    expect(code).toBe(2);
    expect(stderr).toContain("--warm-pool must be a whole number from 0 to 64, got `two`");
    expect(stderr).toContain("--warm-pool 4");
  });

  it("only applies with --host", async () => {
    const { code, stderr } = await run(["run", "-c", "pikaci.yml", "--warm-pool", "2"]);
    expect(code).toBe(2);
    expect(stderr).toContain("--warm-pool only apply with --host");
  });
});
