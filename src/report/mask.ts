export const MASK = "***";

/** Lines shorter than this are not masked on their own (they would mask ordinary words). */
const MIN_LINE_SECRET = 8;

/**
 * Every string to hide for a set of secrets: each secret whole, and each line of a multi-line
 * secret (an SSH key printed by a misbehaving tool arrives line by line), longest first.
 */
export function secretNeedles(secrets: readonly string[]): string[] {
  const needles = new Set<string>();
  for (const secret of secrets) {
    if (!secret) continue;
    const trimmed = secret.trim();
    if (trimmed.length > 0) needles.add(trimmed);
    for (const line of secret.split(/\r?\n/)) {
      const t = line.trim();
      // PEM armour ("-----BEGIN … KEY-----") is public and would mask documentation, not secrets.
      if (t.length >= MIN_LINE_SECRET && !/^-----(BEGIN|END) /.test(t)) needles.add(t);
    }
  }
  return [...needles].sort((a, b) => b.length - a.length);
}

/** Replace every occurrence of every secret (and each long line of it) with `***`. */
export function maskSecrets(text: string, secrets: readonly string[]): string {
  let out = text;
  for (const needle of secretNeedles(secrets)) {
    if (out.includes(needle)) out = out.split(needle).join(MASK);
  }
  return out;
}
