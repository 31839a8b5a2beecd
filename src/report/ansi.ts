// CSI sequences (colours, cursor moves), OSC sequences (titles, hyperlinks) and lone escapes.
const ANSI_PATTERN =
  /\u001b\[[0-?]*[ -/]*[@-~]|\u001b\][^\u0007\u001b]*(?:\u0007|\u001b\\)|\u001b[@-Z\\-_]|\u009b[0-?]*[ -/]*[@-~]/g;

/** Remove terminal escape codes, and resolve carriage-return progress lines to their last state. */
export function stripAnsi(text: string): string {
  return text
    .replace(ANSI_PATTERN, "")
    .split("\n")
    .map((line) => {
      const trimmed = line.endsWith("\r") ? line.slice(0, -1) : line;
      const cut = trimmed.lastIndexOf("\r");
      return cut === -1 ? trimmed : trimmed.slice(cut + 1);
    })
    .join("\n");
}
