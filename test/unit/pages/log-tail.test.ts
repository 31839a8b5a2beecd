import { describe, expect, it } from "vitest";
import { tailOfLog } from "../../../src/pages/log-tail.js";

const lines = (count: number) => Array.from({ length: count }, (_, i) => `line ${i + 1}`).join("\n") + "\n";

describe("tailOfLog", () => {
  it("keeps a short log whole", () => {
    const bytes = Buffer.from(lines(3));
    expect(tailOfLog(bytes, bytes.length)).toEqual({
      text: "line 1\nline 2\nline 3",
      total_bytes: bytes.length,
      shown_lines: 3,
      truncated: false,
    });
  });

  it("keeps only the last maxLines lines", () => {
    const bytes = Buffer.from(lines(500));
    const tail = tailOfLog(bytes, bytes.length, { maxLines: 200 });
    expect(tail.truncated).toBe(true);
    expect(tail.shown_lines).toBe(200);
    expect(tail.text.split("\n")[0]).toBe("line 301");
    expect(tail.text.endsWith("line 500")).toBe(true);
  });

  it("drops the partial first line of a window read from the end of a larger file", () => {
    const whole = Buffer.from(lines(100));
    const window = whole.subarray(whole.length - 50);
    const tail = tailOfLog(window, whole.length);
    expect(tail.truncated).toBe(true);
    expect(tail.text.split("\n").every((line) => /^line \d+$/.test(line))).toBe(true);
    expect(tail.text.endsWith("line 100")).toBe(true);
  });

  it("bounds bytes and never splits a UTF-8 character", () => {
    const text = "é".repeat(5000);
    const bytes = Buffer.from(text);
    const tail = tailOfLog(bytes, bytes.length, { maxBytes: 1001 });
    expect(Buffer.byteLength(tail.text)).toBeLessThanOrEqual(1001);
    expect(tail.text).not.toContain("\uFFFD");
    expect(tail.truncated).toBe(true);
  });
});
