import { describe, expect, it } from "vitest";
import { ansiToHtml } from "../../../src/pages/ansi.js";
import { stripAnsi } from "../../../src/report/ansi.js";

const render = (text: string) => ansiToHtml(text).toString();

describe("ansiToHtml", () => {
  it("turns SGR colours and bold into classed spans and resets", () => {
    expect(render("a \u001b[31mred\u001b[0m b")).toBe('a <span class="f1">red</span> b');
    expect(render("\u001b[1;92mok\u001b[22m!\u001b[39m")).toBe(
      '<span class="f10 b">ok</span><span class="f10">!</span>',
    );
    expect(render("\u001b[44;97mX\u001b[m")).toBe('<span class="f15 g4">X</span>');
  });

  it("maps 256-colour and truecolour codes to the nearest basic colour", () => {
    expect(render("\u001b[38;5;196mA")).toBe('<span class="f1">A</span>');
    expect(render("\u001b[38;5;2mB")).toBe('<span class="f2">B</span>');
    expect(render("\u001b[38;2;0;0;0mC")).toBe('<span class="f0">C</span>');
  });

  it("escapes text inside and outside spans", () => {
    expect(render("\u001b[31m<script>alert(1)</script>\u001b[0m&")).toBe(
      '<span class="f1">&lt;script&gt;alert(1)&lt;/script&gt;</span>&amp;',
    );
  });

  it("drops other escape sequences and control characters", () => {
    expect(render("a\u001b[2Kb\u001b]0;title\u0007c\u0000d\u001b")).toBe("abcd");
  });

  it("resolves carriage-return progress lines to their final state", () => {
    expect(render("10%\r50%\r100%\ndone\r\n")).toBe("100%\ndone\n");
  });

  it("stripAnsi (the full-log route's) leaves plain text", () => {
    expect(stripAnsi("\u001b[1;31mFAILED\u001b[0m x\r\n")).toBe("FAILED x\n");
  });
});
