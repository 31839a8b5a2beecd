import { type ChildProcess, spawn } from "node:child_process";
import { mkdtemp, readdir, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { RunRecord } from "../../../src/schema/index.js";
import { isTempFileName } from "../../../src/store/index.js";
import { bigRecord, VARIANTS } from "./helpers/rewrite-run.js";

const HELPER = path.join(import.meta.dirname, "helpers/rewrite-run.ts");
const KILLS = 20;

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), "pikaci-kill-"));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

interface Writer {
  child: ChildProcess;
  loaded: Promise<void>;
  writing: Promise<void>;
}

/** Start a writer process; it loads (slow: tsx) and then waits for `go` before writing. */
function spawnWriter(): Writer {
  const child = spawn(process.execPath, ["--import", "tsx", HELPER, dir], {
    stdio: ["pipe", "pipe", "inherit"],
  });
  let output = "";
  const waitFor = (word: string) =>
    new Promise<void>((resolve, reject) => {
      const check = () => output.includes(word) && resolve();
      child.stdout!.on("data", (chunk: Buffer) => {
        output += chunk.toString();
        check();
      });
      child.on("exit", (code, signal) =>
        reject(new Error(`writer exited before "${word}": ${code ?? signal}`)),
      );
    });
  const loaded = waitFor("loaded");
  const writing = waitFor("writing");
  // Only the current writer's promises are awaited; silence the others' rejections on kill.
  loaded.catch(() => {});
  writing.catch(() => {});
  return { child, loaded, writing };
}

describe("atomicWriteFile under kill -9", () => {
  it(`never leaves a torn run.json across ${KILLS} SIGKILLs mid-rewrite`, async () => {
    const expected = VARIANTS.map((v) => JSON.stringify(bigRecord(v), null, 2));
    expect(expected[0]!.length).toBeGreaterThan(3_000_000);
    let leftovers = 0;
    let next = spawnWriter();
    for (let i = 0; i < KILLS; i++) {
      const { child, loaded, writing } = next;
      await loaded;
      child.stdin!.write("go\n");
      await writing;
      // Load the next writer while this one rewrites, so the test is not dominated by start-up.
      if (i + 1 < KILLS) next = spawnWriter();
      await new Promise((r) => setTimeout(r, Math.floor(Math.random() * 150)));
      const exited = new Promise((r) => child.once("exit", r));
      child.kill("SIGKILL");
      await exited;

      const text = await readFile(path.join(dir, "run.json"), "utf8");
      // Exactly one of the complete texts, never a mix or a prefix; and a valid record.
      expect(expected.includes(text)).toBe(true);
      expect(RunRecord.safeParse(JSON.parse(text)).success).toBe(true);
      const names = await readdir(dir);
      expect(names.filter((n) => !isTempFileName(n))).toEqual(["run.json"]);
      leftovers = names.filter(isTempFileName).length;
    }
    // Temp files left behind prove the kills landed inside a write, which is what this test is about.
    expect(leftovers).toBeGreaterThan(0);
  }, 120_000);
});
