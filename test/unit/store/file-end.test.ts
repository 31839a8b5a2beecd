import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, beforeEach, expect, it } from "vitest";
import { readFileEnd } from "../../../src/store/index.js";

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(path.join(tmpdir(), "pikaci-file-end-"));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

it("readFileEnd returns the last bytes and the whole size, the whole of a short file, null for none", async () => {
  const file = path.join(dir, "guest.log");
  await writeFile(file, "0123456789");
  const end = await readFileEnd(file, 4);
  expect(end && { text: end.bytes.toString(), size: end.size }).toEqual({ text: "6789", size: 10 });
  expect((await readFileEnd(file, 100))?.bytes.toString()).toBe("0123456789");
  expect(await readFileEnd(path.join(dir, "missing.log"), 4)).toBeNull();
});
