import type { Document, LineCounter, Node } from "yaml";
import type { z } from "zod";
import type { ConfigIssue } from "../errors/index.js";
import { describeExpected, describeValue, quoteValue } from "./describe.js";
import { locate, locateKey, positionOf } from "./positions.js";
import { allowedKeys } from "./schema-walk.js";
import { closestMatch } from "./suggest.js";

type ZodIssue = z.core.$ZodIssue;

export interface IssueContext {
  file: string;
  doc: Document;
  lineCounter: LineCounter;
  schema: z.ZodType;
}

interface MapContext extends IssueContext {
  /** `pathKey(objectPath) + " " + key` for every missing key an unknown key is a typo of. */
  typoFor: Set<string>;
}

/** Turn zod's issues into located, worded config issues — one per problem the author has to fix. */
export function mapZodIssues(issues: readonly ZodIssue[], context: IssueContext): ConfigIssue[] {
  const typoFor = new Set<string>();
  for (const issue of issues) {
    if (issue.code !== "unrecognized_keys") continue;
    for (const key of issue.keys) {
      const suggestion = closestMatch(key, allowedKeys(context.schema, issue.path));
      if (suggestion) typoFor.add(`${pathKey(issue.path)} ${suggestion}`);
    }
  }
  const ctx = { ...context, typoFor };
  return withoutShadowedFormatIssues(issues).flatMap((issue) => mapIssue(issue, [], ctx));
}

/** A refine with its own message and a generic regex failure on the same value say the same thing twice. */
function withoutShadowedFormatIssues(issues: readonly ZodIssue[]): ZodIssue[] {
  const customPaths = new Set(issues.filter((i) => i.code === "custom").map((i) => pathKey(i.path)));
  return issues.filter((i) => !(i.code === "invalid_format" && customPaths.has(pathKey(i.path))));
}

/** `lanes[0].command`, as a person would write it. */
function formatPath(path: readonly PropertyKey[]): string {
  return path
    .map((s, i) => (typeof s === "number" ? `[${s}]` : i === 0 ? String(s) : `.${String(s)}`))
    .join("");
}

function pathKey(path: readonly PropertyKey[]): string {
  return JSON.stringify(path.map(String));
}

function mapIssue(issue: ZodIssue, prefix: readonly PropertyKey[], ctx: MapContext): ConfigIssue[] {
  const path = [...prefix, ...issue.path];
  const at = (node: Node | undefined, message: string, hint?: string): ConfigIssue => ({
    file: ctx.file,
    ...positionOf(node, ctx.lineCounter),
    message,
    ...(hint === undefined ? {} : { hint }),
  });
  const located = locate(ctx.doc, path);
  const node = located.value ?? located.key ?? located.deepest;
  const where = path.length > 0 ? `\`${formatPath(path)}\`: ` : "";

  const absent = located.value === undefined && located.key === undefined && issue.input === undefined;
  if (absent && (issue.code === "invalid_type" || issue.code === "invalid_union")) {
    const name = String(path[path.length - 1]);
    // `comand` already reported as "did you mean `command`?" — the missing `command` is the same mistake.
    if (ctx.typoFor.has(`${pathKey(path.slice(0, -1))} ${name}`)) return [];
    return [at(located.deepest, `missing required key \`${name}\``, `add \`${name}:\` here`)];
  }

  switch (issue.code) {
    case "unrecognized_keys":
      return issue.keys.map((key) => {
        const allowed = allowedKeys(ctx.schema, path);
        const suggestion = closestMatch(key, allowed);
        const hint = suggestion ? `did you mean \`${suggestion}\`?` : `allowed keys: ${allowed.join(", ")}`;
        return at(locateKey(ctx.doc, path, key) ?? node, `unknown key \`${key}\``, hint);
      });
    case "invalid_union":
      return mapUnion(issue, path, ctx, (message) => at(node, `${where}${message}`));
    case "invalid_type":
      return [
        at(node, `${where}expected ${describeExpected(issue.expected)}, got ${describeValue(issue.input)}`),
      ];
    case "invalid_value": {
      const expected = issue.values.map(quoteValue).join(" or ");
      const suggestion =
        typeof issue.input === "string" ? closestMatch(issue.input, issue.values.map(String)) : undefined;
      return [
        at(
          node,
          `${where}expected ${expected}, got ${quoteValue(issue.input)}`,
          suggestion ? `did you mean \`${suggestion}\`?` : undefined,
        ),
      ];
    }
    case "invalid_key": {
      // A record key (e.g. an env var name) failed: point at the key, with the key schema's own words.
      const name = String(path[path.length - 1]);
      const reason = issue.issues[0]?.message ?? issue.message;
      return [at(located.key ?? node, `invalid key \`${name}\`: ${reason}`)];
    }
    case "too_small":
      return [at(node, `${where}${describeTooSmall(issue)}`)];
    case "too_big":
      return [at(node, `${where}${describeTooBig(issue)}`)];
    default:
      return [at(node, `${where}${issue.message}`)];
  }
}

/**
 * A union failed. When one branch got past the type check (e.g. `command` is a list, but an item is
 * a number) its deeper issues are the useful ones; otherwise say which types would have been accepted.
 */
function mapUnion(
  issue: Extract<ZodIssue, { code: "invalid_union" }>,
  path: readonly PropertyKey[],
  ctx: MapContext,
  atNode: (message: string) => ConfigIssue,
): ConfigIssue[] {
  const deeper = issue.errors.find((branch) => branch.length > 0 && branch.every((i) => i.path.length > 0));
  if (deeper) return deeper.flatMap((inner) => mapIssue(inner, path, ctx));
  const expected = issue.errors
    .flat()
    .filter((i) => i.path.length === 0 && i.code === "invalid_type")
    .map((i) => describeExpected((i as { expected: string }).expected));
  if (expected.length === 0) {
    const first = issue.errors.flat()[0];
    return [atNode(first?.message ?? issue.message)];
  }
  return [atNode(`expected ${[...new Set(expected)].join(" or ")}, got ${describeValue(issue.input)}`)];
}

function describeTooSmall(issue: Extract<ZodIssue, { code: "too_small" }>): string {
  if (!issue.message.startsWith("Too small")) return issue.message;
  const min = Number(issue.minimum);
  if (issue.origin === "string") return min <= 1 ? "must not be empty" : `must be at least ${min} characters`;
  if (issue.origin === "array") return `needs at least ${min} item(s)`;
  return `must be at least ${min}`;
}

function describeTooBig(issue: Extract<ZodIssue, { code: "too_big" }>): string {
  if (!issue.message.startsWith("Too big")) return issue.message;
  const max = Number(issue.maximum);
  if (issue.origin === "string") return `must be at most ${max} characters`;
  if (issue.origin === "array") return `allows at most ${max} item(s)`;
  return `must be at most ${max}`;
}
