import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { hostSpecs } from "../../../src/cli/commands/run-executor.js";
import { type CliIO, main } from "../../../src/cli/main.js";

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), "pikaci-hosts-flag-"));
  await writeFile(path.join(dir, "pikaci.yml"), 'version: 1\nlanes:\n  - id: a\n    command: "true"\n');
});
afterAll(() => rm(dir, { recursive: true, force: true }));

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

describe("pikaci run --host (several)", () => {
  it("takes --host flags over the config's hosts:, and the config's when there is no flag", () => {
    const config = [{ url: "ssh://ci@c1:22", capacity: 2, labels: ["big"] }];
    expect(hostSpecs({ host: ["ssh://ci@f1:22?capacity=3", "localhost"] }, config)).toEqual([
      { url: "ssh://ci@f1:22", capacity: 3, labels: [] },
      { url: "localhost", labels: [] },
    ]);
    expect(hostSpecs({}, config)).toEqual([{ url: "ssh://ci@c1:22", capacity: 2, labels: ["big"] }]);
    expect(hostSpecs({}, undefined)).toEqual([]);
  });

  it("refuses an unknown host parameter before connecting, naming the known ones", async () => {
    const { code, stderr } = await run(["run", "-c", "pikaci.yml", "--host", "ssh://ci@h:22?slots=4"]);
    expect(code).toBe(2);
    expect(stderr).toContain("unknown parameter 'slots'");
    expect(stderr).toContain("?capacity=N");
  });

  it("refuses the same host named twice", async () => {
    const { code, stderr } = await run([
      "run",
      "-c",
      "pikaci.yml",
      "--host",
      "localhost",
      "--host",
      "localhost?capacity=2",
    ]);
    expect(code).toBe(2);
    expect(stderr).toContain("build host localhost is named twice");
  });
});
