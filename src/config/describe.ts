/** Human names for the types a YAML value can have, as a config author thinks of them. */
export function describeValue(value: unknown): string {
  if (value === null) return "an empty value";
  if (value === undefined) return "nothing";
  if (Array.isArray(value)) return "a list";
  if (typeof value === "object") return "a mapping";
  if (typeof value === "number") return Number.isInteger(value) ? "a number" : "a decimal number";
  if (typeof value === "string") return "a string";
  if (typeof value === "boolean") return "a boolean";
  return `a ${typeof value}`;
}

const EXPECTED: Record<string, string> = {
  string: "a string",
  number: "a number",
  int: "a whole number",
  boolean: "a boolean (true or false)",
  array: "a list",
  object: "a mapping",
  record: "a mapping",
};

export function describeExpected(expected: string): string {
  return EXPECTED[expected] ?? expected;
}

export function quoteValue(value: unknown): string {
  return typeof value === "string" ? `\`${value}\`` : JSON.stringify(value);
}
