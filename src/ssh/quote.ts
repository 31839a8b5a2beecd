/**
 * The one place an argv array becomes a shell string (for `ssh host CMD`, which the remote runs
 * through the login shell). POSIX single quotes: every byte is literal inside them except the
 * quote itself, which is written as `'\''`. Newlines, `$()`, backticks and non-ASCII text need
 * nothing else.
 */
export function shellQuote(arg: string): string {
  if (arg.includes("\0")) {
    // A NUL cannot be passed in an argv element at all; failing loudly beats silent truncation.
    throw new TypeError("shellQuote: arguments cannot contain NUL bytes");
  }
  if (arg !== "" && /^[A-Za-z0-9_\-+=.,/:@%]+$/.test(arg)) return arg;
  return `'${arg.replaceAll("'", `'\\''`)}'`;
}

export function shellJoin(argv: readonly string[]): string {
  return argv.map(shellQuote).join(" ");
}
