/**
 * Renders the config reference (docs/config.md) from the config's JSON Schema, which is itself
 * generated from the zod schema in src/schema/config.ts, so the reference cannot drift from what
 * the loader accepts. Pure: JSON Schema in, Markdown out.
 */

export interface JsonSchema {
  /** A named type (e.g. `duration`): shown instead of its structure. */
  title?: string;
  type?: string | string[];
  const?: unknown;
  enum?: unknown[];
  anyOf?: JsonSchema[];
  oneOf?: JsonSchema[];
  items?: JsonSchema;
  properties?: Record<string, JsonSchema>;
  required?: string[];
  additionalProperties?: boolean | JsonSchema;
  propertyNames?: JsonSchema;
  default?: unknown;
  description?: string;
  pattern?: string;
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: number;
  minLength?: number;
  maxLength?: number;
  minItems?: number;
  maxItems?: number;
}

interface Section {
  /** Dotted path of the object, `lanes[]` for array items; "" for the top level. */
  path: string;
  schema: JsonSchema;
  description?: string;
}

const isObject = (s: JsonSchema) => s.type === "object" && s.properties !== undefined;

/** The object schema a property leads to (directly, as array items, or inside a union), if any. */
function nestedObject(s: JsonSchema): { schema: JsonSchema; suffix: string } | undefined {
  if (isObject(s)) return { schema: s, suffix: "" };
  if (s.type === "array" && s.items) {
    const inner = nestedObject(s.items);
    return inner && { schema: inner.schema, suffix: `[]${inner.suffix}` };
  }
  for (const alt of s.anyOf ?? s.oneOf ?? []) {
    const inner = nestedObject(alt);
    if (inner) return inner;
  }
  return undefined;
}

function collectSections(path: string, schema: JsonSchema, description?: string): Section[] {
  const out: Section[] = [{ path, schema, ...(description ? { description } : {}) }];
  for (const [name, prop] of Object.entries(schema.properties ?? {})) {
    const nested = nestedObject(prop);
    if (!nested) continue;
    const child = `${path ? `${path}.` : ""}${name}${nested.suffix}`;
    out.push(...collectSections(child, nested.schema, prop.description ?? nested.schema.description));
  }
  return out;
}

const code = (v: unknown) => `\`${typeof v === "string" ? v : JSON.stringify(v)}\``;

/** A short human type: `string`, `"container" \| "vm"`, `list of string`, `duration`, … */
export function describeType(s: JsonSchema): string {
  if (s.title) return s.title;
  if (s.const !== undefined) return code(s.const);
  if (s.enum) return s.enum.map(code).join(" | ");
  const alts = s.anyOf ?? s.oneOf;
  if (alts) return [...new Set(alts.map(describeType))].join(" or ");
  if (s.type === "array") return `list of ${s.items ? describeType(s.items) : "any"}`;
  if (s.type === "object") {
    if (s.properties) return "object (below)";
    const value = typeof s.additionalProperties === "object" ? describeType(s.additionalProperties) : "any";
    return `map of name → ${value}`;
  }
  if (s.type === "integer") return "integer";
  return Array.isArray(s.type) ? s.type.join(" or ") : (s.type ?? "any");
}

/** Limits worth telling a user: ranges, lengths, patterns, counts. */
export function describeRules(s: JsonSchema): string {
  if (s.title) return "";
  const rules: string[] = [];
  // zod bounds every integer by the safe range; that is not a rule a user needs to read.
  const max = s.maximum === Number.MAX_SAFE_INTEGER ? undefined : s.maximum;
  if (s.minimum !== undefined && max !== undefined) rules.push(`${s.minimum}–${max}`);
  else if (s.minimum !== undefined) rules.push(`≥ ${s.minimum}`);
  else if (max !== undefined) rules.push(`≤ ${max}`);
  if (s.exclusiveMinimum !== undefined) rules.push(`> ${s.exclusiveMinimum}`);
  if (s.maxLength !== undefined) rules.push(`at most ${s.maxLength} characters`);
  if (s.minItems !== undefined && s.minItems > 0) rules.push(`at least ${s.minItems}`);
  if (s.maxItems !== undefined) rules.push(`at most ${s.maxItems}`);
  if (s.pattern !== undefined) rules.push(`matches ${code(s.pattern)}`);
  if (s.type === "object" && s.propertyNames?.pattern)
    rules.push(`names match ${code(s.propertyNames.pattern)}`);
  for (const alt of s.anyOf ?? s.oneOf ?? []) {
    const inner = describeRules(alt);
    if (inner) rules.push(inner);
  }
  return rules.join("; ");
}

const cell = (text: string) => text.replace(/\|/g, "\\|").replace(/\n+/g, " ");

function renderSection(section: Section): string {
  const title = section.path === "" ? "Top level" : `\`${section.path}\``;
  const lines = [`## ${title}`, ""];
  const description = section.description ?? section.schema.description;
  if (description) lines.push(description, "");
  lines.push(
    "| key | type | required | default | rules | meaning |",
    "| --- | --- | --- | --- | --- | --- |",
  );
  const required = new Set(section.schema.required ?? []);
  for (const [name, prop] of Object.entries(section.schema.properties ?? {})) {
    const row = [
      `\`${name}\``,
      cell(describeType(prop)),
      required.has(name) && prop.default === undefined ? "yes" : "",
      prop.default === undefined ? "" : cell(code(prop.default)),
      cell(describeRules(prop)),
      cell(prop.description ?? ""),
    ];
    lines.push(`| ${row.join(" | ")} |`);
  }
  if (section.schema.additionalProperties === false) lines.push("", "Any other key is an error.");
  return lines.join("\n");
}

/**
 * Dotted paths of the keys with no meaning. A key's meaning is its zod `.describe()`, the one copy
 * that reaches both the JSON Schema and the reference; the generator refuses a key without one.
 */
export function undescribedKeys(schema: JsonSchema): string[] {
  return collectSections("", schema).flatMap((section) =>
    Object.entries(section.schema.properties ?? {})
      .filter(([, prop]) => !prop.description?.trim())
      .map(([name]) => (section.path ? `${section.path}.${name}` : name)),
  );
}

export function renderConfigReference(schema: JsonSchema): string {
  const intro = [
    "# `.github/pikaci.yml` reference",
    "",
    "<!-- Generated by `npm run schemas` from src/schema/config.ts; CI fails when it is stale. Do not edit. -->",
    "",
    "pikaci reads `.github/pikaci.yml` at the commit it runs. `pikaci validate` checks a file and",
    "reports errors at file:line:col; `pikaci plan --changed <path>` shows which lanes a change selects.",
    "The same rules are published as a JSON Schema in `schemas/pikaci-config.schema.json` for editors.",
    "Durations are seconds (an integer) or a string such as `90s`, `10m`, `1h30m`.",
    "",
  ].join("\n");
  return `${intro}\n${collectSections("", schema).map(renderSection).join("\n\n")}\n`;
}
