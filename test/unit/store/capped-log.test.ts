import { mkdtemp, readFile, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { CappedLogFile, truncationMarker } from "../../../src/store/capped-log.js";

let dir = "";
beforeEach(async () => {
  dir = await mkdtemp(path.join(tmpdir(), "pikaci-capped-"));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** Deterministic numbered lines of varying length, so any misplaced byte shows. */
function lines(count: number, from = 0): string {
  let out = "";
  for (let i = from; i < from + count; i++) out += `line ${i} ${"x".repeat(i % 37)}\n`;
  return out;
}

/** Deterministic chunk sizes from 1 byte to more than the whole cap. */
function chunked(data: Buffer, sizes: number[]): Buffer[] {
  const out: Buffer[] = [];
  let at = 0;
  for (let i = 0; at < data.length; i++) {
    const n = sizes[i % sizes.length]!;
    out.push(data.subarray(at, at + n));
    at += n;
  }
  return out;
}

describe("CappedLogFile", () => {
  it("keeps a log under its limit whole and reports no truncation", async () => {
    const file = path.join(dir, "guest.log");
    const log = new CappedLogFile(file, 64 * 1024);
    const text = lines(500);
    log.write(text.slice(0, 1000));
    // Live readers see what was written before the lane ends.
    expect(await readFile(file, "utf8")).toBe(text.slice(0, 1000));
    log.write(text.slice(1000));
    expect(log.close()).toBeNull();
    expect(await readFile(file, "utf8")).toBe(text);
  });

  it("a log of exactly the limit is not cut", async () => {
    const file = path.join(dir, "guest.log");
    const log = new CappedLogFile(file, 8192);
    log.write("a".repeat(8192));
    expect(log.close()).toBeNull();
    expect((await stat(file)).size).toBe(8192);
  });

  for (const sizes of [[1000], [1, 7, 4096, 333], [200_000], [65_536, 3]]) {
    it(`keeps head and tail on whole lines with a marker (chunks ${sizes.join("/")})`, async () => {
      const limit = 64 * 1024;
      const file = path.join(dir, "guest.log");
      const data = Buffer.from(lines(40_000));
      const log = new CappedLogFile(file, limit);
      for (const chunk of chunked(data, sizes)) log.write(chunk);
      const t = log.close();
      const stored = await readFile(file);

      expect(t).not.toBeNull();
      expect(t!.total_bytes).toBe(data.length);
      expect(t!.limit_bytes).toBe(limit);
      expect(stored.length).toBeLessThanOrEqual(limit);
      expect(t!.head_bytes + t!.tail_bytes).toBeGreaterThan(limit - 512 - 2 * 4096);
      // The head is the log's first bytes and the tail its last, each ending/starting on a line.
      const head = stored.subarray(0, t!.head_bytes);
      const tail = stored.subarray(stored.length - t!.tail_bytes);
      expect(head.equals(data.subarray(0, t!.head_bytes))).toBe(true);
      expect(tail.equals(data.subarray(data.length - t!.tail_bytes))).toBe(true);
      expect(head.at(-1)).toBe(0x0a);
      expect(data[data.length - t!.tail_bytes - 1]).toBe(0x0a);
      const marker = stored.subarray(t!.head_bytes, stored.length - t!.tail_bytes).toString();
      expect(marker).toBe(truncationMarker(t!));
      expect(marker).toContain(
        `kept first ${t!.head_bytes} and last ${t!.tail_bytes} of ${data.length} bytes`,
      );
      expect(tail.toString().endsWith(lines(1, 39_999))).toBe(true);
      // The ring file beside the log is gone.
      await expect(stat(`${file}.tail`)).rejects.toThrow();
    });
  }

  it("marks the live file once the cap is hit, before the lane ends", async () => {
    const file = path.join(dir, "guest.log");
    const log = new CappedLogFile(file, 8192);
    log.write(lines(2000));
    const live = await readFile(file, "utf8");
    expect(live.length).toBeLessThan(8192);
    expect(live).toContain("the tail is added here when the lane ends");
    log.close();
  });

  it("refuses a limit too small to hold a head, a tail and the marker", () => {
    expect(() => new CappedLogFile(path.join(dir, "x.log"), 100)).toThrow(/log limit/);
  });
});
