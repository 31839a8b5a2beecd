import { describe, expect, it } from "vitest";
import { stripAnsi } from "../../../src/report/ansi.js";
import { codeBlock, lastLines, logTail } from "../../../src/report/log-tail.js";
import { maskSecrets } from "../../../src/report/mask.js";

const KEY = [
  "-----BEGIN OPENSSH PRIVATE KEY-----",
  "b3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAABAAAAMwAAAAtzc2gtZW",
  "QyNTUxOQAAACBvcGVuc3NoLWtleS1mb3ItdGVzdHMtb25seS0xMjM0NTY3OAAAAJgAAAAA",
  "-----END OPENSSH PRIVATE KEY-----",
].join("\n");

describe("stripAnsi", () => {
  it("removes colours, cursor moves and OSC hyperlinks", () => {
    const raw =
      "\u001b[1;31merror\u001b[0m: \u001b]8;;https://x\u0007link\u001b]8;;\u0007 \u001b[2K\u001b[1Gdone";
    expect(stripAnsi(raw)).toBe("error: link done");
  });

  it("keeps only the final state of carriage-return progress lines", () => {
    expect(stripAnsi("10%\r50%\r100%\nnext\r\n")).toBe("100%\nnext\n");
  });
});

describe("maskSecrets", () => {
  it("masks a token and every line of a multi-line key", () => {
    const text = `token ghs_abcdefghijklmnop used\n${KEY}\nand a line: ${KEY.split("\n")[1]}`;
    const masked = maskSecrets(text, ["ghs_abcdefghijklmnop", KEY]);
    expect(masked).not.toContain("ghs_abcdefghijklmnop");
    for (const line of KEY.split("\n").slice(1, -1)) expect(masked).not.toContain(line);
    expect(masked).toContain("and a line: ***");
    // The armour lines are public text, the same in every key.
    expect(maskSecrets("-----BEGIN OPENSSH PRIVATE KEY-----", [KEY])).toBe(
      "-----BEGIN OPENSSH PRIVATE KEY-----",
    );
    expect(masked).toContain("token *** used");
  });

  it("does not mask on empty secrets", () => {
    expect(maskSecrets("hello", ["", "   "])).toBe("hello");
  });
});

describe("logTail", () => {
  it("keeps the last lines, stripped and masked", () => {
    const log = `${Array.from({ length: 300 }, (_, i) => `\u001b[32mline ${i}\u001b[0m`).join("\n")}\nsecret=hunter2hunter2\n`;
    const tail = logTail(log, { maxLines: 10, secrets: ["hunter2hunter2"] });
    const lines = tail.split("\n");
    expect(lines).toHaveLength(10);
    expect(lines[0]).toBe("line 291");
    expect(lines[9]).toBe("secret=***");
  });

  it("leaves out an unfinished last line of a live log", () => {
    expect(logTail("done\nhalf a li", { completeLinesOnly: true })).toBe("done");
  });

  it("never reveals the end of a secret cut by the window", () => {
    // The 400-char window starts inside the secret's line; the escape codes after it strip to nothing,
    // so without dropping that partial line its half of the secret would be all the tail shows.
    const secret = "S".repeat(40);
    const log = `${"x".repeat(100)}${secret}\n${"\u001b[0m".repeat(95)}end\n`;
    const tail = logTail(log, { maxBytes: 50, maxLines: 1000, secrets: [secret] });
    expect(tail).toBe("end");
  });
});

describe("codeBlock", () => {
  it("uses a fence longer than any backtick run inside", () => {
    const block = codeBlock("```\nnot the end\n````");
    expect(block.startsWith("`````text\n")).toBe(true);
    expect(block.endsWith("\n`````")).toBe(true);
  });
});

describe("lastLines", () => {
  it("keeps the last lines, drops trailing newlines, and says whether it cut", () => {
    expect(lastLines("a\nb\nc\n\n", 2)).toEqual({ text: "b\nc", lines: 2, cut: true });
    expect(lastLines("a\nb", 2)).toEqual({ text: "a\nb", lines: 2, cut: false });
    expect(lastLines("a\nb", 8)).toEqual({ text: "a\nb", lines: 2, cut: false });
    expect(lastLines("\n\n", 3)).toEqual({ text: "", lines: 0, cut: false });
  });
});
