import { describe, expect, it } from "vitest";
import { TrailerSplitter } from "../../../src/executor/incus/trailer.js";

const split = (chunks: string[], marker = "<<M4RK>>") => {
  let text = "";
  const splitter = new TrailerSplitter(marker, (t) => (text += t));
  for (const chunk of chunks) splitter.push(chunk);
  const trailer = splitter.end();
  return { text, trailer };
};

describe("TrailerSplitter", () => {
  it("passes text through and keeps what follows the marker", () => {
    expect(split(["log line\n", "more<<M4RK>>", '{"a":1}'])).toEqual({
      text: "log line\nmore",
      trailer: '{"a":1}',
    });
  });

  it("finds a marker split across chunks, at every split point", () => {
    const whole = "abc<<M4RK>>tail";
    for (let i = 0; i <= whole.length; i++) {
      for (let j = i; j <= whole.length; j++) {
        expect(split([whole.slice(0, i), whole.slice(i, j), whole.slice(j)])).toEqual({
          text: "abc",
          trailer: "tail",
        });
      }
    }
  });

  it("returns null and loses no text when the marker never arrives", () => {
    expect(split(["partial <<M4R", "K and more"])).toEqual({
      text: "partial <<M4RK and more",
      trailer: null,
    });
  });
});
