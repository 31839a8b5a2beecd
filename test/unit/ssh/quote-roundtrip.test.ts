import { spawnSync } from "node:child_process";
import { describe, expect, it } from "vitest";
import { shellJoin } from "../../../src/ssh/quote.js";
import { hostileCommand } from "./hostile-command.js";

/** Feed shellJoin's output to a real `sh -c` and read back the argv it produced, NUL-separated. */
function roundTrip(argv: string[]): string[] {
  const script = `${shellJoin(["printf", "%s\\0", ...argv])}`;
  const result = spawnSync("sh", ["-c", script], { encoding: "buffer" });
  expect(result.status).toBe(0);
  const parts = result.stdout.toString("utf8").split("\0");
  parts.pop();
  return parts;
}

const hostile = [
  "plain",
  "",
  "with space",
  "it's",
  "'''",
  '"double" \\backslash\\',
  // biome-ignore lint/suspicious/noTemplateCurlyInString: a literal shell expansion is the point
  "$(touch /tmp/pikaci-pwned) `id` ${HOME} $HOME",
  "line1\nline2\n\n",
  "tab\there; rm -rf / & | > < * ? [a] ~ # !",
  "grüße 日本語 🚀",
  "-n",
  "--",
];

describe("shellJoin round trip through sh -c", () => {
  it("delivers every argument byte for byte", () => {
    expect(roundTrip(hostile)).toEqual(hostile);
  });

  it("delivers an 8 KB command with quotes, newlines and substitutions intact", () => {
    const big = hostileCommand(8192);
    expect(big.length).toBe(8192);
    expect(roundTrip([big, "PIKACI_INCUS_GUEST_COMMAND=" + big])).toEqual([
      big,
      "PIKACI_INCUS_GUEST_COMMAND=" + big,
    ]);
  });
});
