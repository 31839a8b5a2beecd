import { describe, expect, it } from "vitest";
import {
  byteLength,
  headBytes,
  tailBytes,
  truncateChars,
  truncateHead,
  truncateTail,
} from "../../../src/report/bytes.js";

const validUtf8 = (s: string) => Buffer.from(s, "utf8").toString("utf8") === s && !s.includes("\uFFFD");

describe("byte-safe truncation", () => {
  it("never splits a 4-byte emoji, at any cut", () => {
    const text = "a😀b😀😀c";
    for (let max = 0; max <= byteLength(text); max++) {
      const head = headBytes(text, max);
      const tail = tailBytes(text, max);
      expect(byteLength(head)).toBeLessThanOrEqual(max);
      expect(byteLength(tail)).toBeLessThanOrEqual(max);
      expect(validUtf8(head) && validUtf8(tail)).toBe(true);
      expect(text.startsWith(head)).toBe(true);
      expect(text.endsWith(tail)).toBe(true);
    }
  });

  it("keeps the longest fitting piece", () => {
    expect(headBytes("ab😀", 5)).toBe("ab");
    expect(headBytes("ab😀", 6)).toBe("ab😀");
    expect(tailBytes("😀ab", 5)).toBe("ab");
    expect(tailBytes("é".repeat(10), 5)).toBe("éé");
  });

  it("adds a marker only when something was cut, and stays within the limit", () => {
    expect(truncateHead("short", 100)).toBe("short");
    const cut = truncateHead("😀".repeat(1000), 101);
    expect(byteLength(cut)).toBeLessThanOrEqual(101);
    expect(cut.endsWith("(truncated)")).toBe(true);
    const tail = truncateTail(`${"x".repeat(500)}THE END`, 60);
    expect(tail.endsWith("THE END")).toBe(true);
    expect(tail.startsWith("… (earlier output truncated)")).toBe(true);
    expect(byteLength(tail)).toBeLessThanOrEqual(60);
  });

  it("truncates by code points for titles", () => {
    expect(truncateChars("😀".repeat(300), 255)).toHaveLength(254 * 2 + 1);
    expect(Array.from(truncateChars("😀".repeat(300), 255))).toHaveLength(255);
    expect(truncateChars("ok", 255)).toBe("ok");
  });
});
