import { describe, expect, it } from "vitest";
import { closestMatch, editDistance } from "../../../src/config/index.js";

describe("editDistance", () => {
  it.each([
    ["command", "command", 0],
    ["comand", "command", 1],
    ["ptahs", "paths", 1],
    ["", "abc", 3],
    ["kitten", "sitting", 3],
  ])("%s → %s = %i", (a, b, d) => {
    expect(editDistance(a, b)).toBe(d);
    expect(editDistance(b, a)).toBe(d);
  });
});

describe("closestMatch", () => {
  const keys = ["id", "title", "command", "paths", "timeout", "image"];
  it.each([
    ["comand", "command"],
    ["timout", "timeout"],
    ["Paths", "paths"],
    ["imgae", "image"],
    ["zzzzzzzz", undefined],
    ["x", undefined],
  ])("%s → %s", (word, want) => {
    expect(closestMatch(word, keys)).toBe(want);
  });
});
