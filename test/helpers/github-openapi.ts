import { readFileSync } from "node:fs";
import { createRequire } from "node:module";

/**
 * GitHub's published REST description (@octokit/openapi, api.github.com), for stand-ins that must
 * answer only what GitHub documents and reject requests GitHub would not understand.
 */
type Json = Record<string, unknown>;

let spec: Json | undefined;
function load(): Json {
  const file = createRequire(import.meta.url).resolve("@octokit/openapi/generated/api.github.com.json");
  spec ??= JSON.parse(readFileSync(file, "utf8")) as Json;
  return spec;
}

export interface MatchedOperation {
  operationId: string;
  template: string;
  params: Record<string, string>;
  operation: Json;
}

/** The documented operation for a method and path, or a list of what is wrong with the request. */
export function matchOperation(method: string, path: string): MatchedOperation | undefined {
  const paths = load().paths as Record<string, Record<string, Json>>;
  for (const [template, item] of Object.entries(paths)) {
    const names: string[] = [];
    const pattern = template.replace(/\{([^}]+)\}/g, (_, name: string) => {
      names.push(name);
      return "([^/]+)";
    });
    const m = new RegExp(`^${pattern}$`).exec(path);
    const operation = item[method.toLowerCase()];
    if (!m || !operation) continue;
    const params = Object.fromEntries(names.map((n, i) => [n, decodeURIComponent(m[i + 1]!)]));
    return { operationId: String(operation.operationId), template, params, operation };
  }
  return undefined;
}

/** Problems GitHub would have with this request body for the operation (none: []). */
export function requestProblems(matched: MatchedOperation, rawBody: string): string[] {
  const problems: string[] = [];
  const parameters = (matched.operation.parameters ?? []) as Json[];
  for (const p of parameters.map(resolve)) {
    if (p.in === "path" && p.required && !matched.params[String(p.name)])
      problems.push(`path ${p.name} missing`);
  }
  if (!matched.operation.requestBody && rawBody.trim() !== "" && rawBody.trim() !== "{}") {
    problems.push(`${matched.operationId} takes no request body, got ${rawBody.slice(0, 80)}`);
  }
  return problems;
}

/** The documented example answer for `status`, checked against the required fields of its schema. */
export function documentedResponse(matched: MatchedOperation, status: string): Json {
  const responses = matched.operation.responses as Record<string, Json>;
  const content = (resolve(responses[status]!).content as Record<string, Json>)["application/json"]!;
  const examples = content.examples as Record<string, Json>;
  const example = resolve(Object.values(examples)[0]!).value as Json;
  return example;
}

/** Fields the documented schema of `status` requires that `body` lacks. */
export function missingRequired(matched: MatchedOperation, status: string, body: Json): string[] {
  const responses = matched.operation.responses as Record<string, Json>;
  const content = (resolve(responses[status]!).content as Record<string, Json>)["application/json"]!;
  const schema = resolve(content.schema as Json);
  const parts = ((schema.allOf as Json[] | undefined) ?? [schema]).map(resolve);
  const required = parts.flatMap((part) => (part.required as string[] | undefined) ?? []);
  return required.filter((key) => !(key in body));
}

function resolve(node: Json): Json {
  const ref = node.$ref;
  if (typeof ref !== "string") return node;
  let target: unknown = load();
  for (const segment of ref.replace(/^#\//, "").split("/")) target = (target as Json)[segment];
  return resolve(target as Json);
}
