/**
 * A lane command built to break naive quoting: single and double quotes, backslashes, newlines,
 * `$()`, backticks, globs, non-ASCII text — exactly `length` UTF-16 units long, and a valid shell
 * script that does nothing harmful and exits 0 (the tail is a comment, so the cut never unbalances
 * a quote). Tests compare its text, not its effects.
 */
export function hostileCommand(length = 8192): string {
  const line = (i: number) =>
    `: "it's $((${i}+1))" 'single \\ "dq" $x' \`true\` $(true) \${HOME:-h} * ? [x] ü 日本 🚀 # ${i}\n`;
  let text = "";
  for (let i = 0; text.length + line(i).length + 3 <= length; i++) text += line(i);
  return `${text}#${"x".repeat(length - text.length - 2)}\n`;
}
