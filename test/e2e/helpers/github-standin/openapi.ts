import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { Ajv, type ValidateFunction } from "ajv";
import addFormatsModule from "ajv-formats";

/**
 * GitHub's published REST description (`@octokit/openapi`, api.github.com) as a request checker:
 * it finds the operation a request names and validates its path and query parameters and its JSON
 * body. A request GitHub would refuse (unknown route, missing or mistyped parameter, body off the
 * schema) yields problems; the stand-in answers it as GitHub would and records it so the test fails.
 */
export interface Operation {
  method: string;
  template: string;
  operationId: string;
}

export interface Checked {
  operation: Operation | null;
  params: Record<string, string>;
  problems: string[];
}

type Json = Record<string, unknown>;
interface CompiledOperation extends Route {
  params: { name: string; in: string; required: boolean; validate: ValidateFunction }[];
  body: { required: boolean; validate: ValidateFunction | null } | null;
}

const require = createRequire(import.meta.url);
const addFormats = addFormatsModule as unknown as (ajv: Ajv) => Ajv;

let loaded: { spec: Json } | null = null;

function spec(): Json {
  if (!loaded) {
    const file = require.resolve("@octokit/openapi/generated/api.github.com.json");
    loaded = { spec: JSON.parse(readFileSync(file, "utf8")) as Json };
  }
  return loaded.spec;
}

/** Inline `#/components/...` references; a reference that loops back is left open (`{}`). */
function deref(node: unknown, seen: string[] = []): unknown {
  if (Array.isArray(node)) return node.map((n) => deref(n, seen));
  if (node === null || typeof node !== "object") return node;
  const obj = node as Json;
  if (typeof obj.$ref === "string") {
    if (seen.includes(obj.$ref)) return {};
    const target = obj.$ref
      .slice(2)
      .split("/")
      .reduce<unknown>((at, key) => (at as Json)[key.replace(/~1/g, "/").replace(/~0/g, "~")], spec());
    return deref(target, [...seen, obj.$ref]);
  }
  const out: Json = {};
  for (const [key, value] of Object.entries(obj)) {
    if (key === "example" || key === "examples" || key === "nullable" || key.startsWith("x-")) continue;
    out[key] = deref(value, seen);
  }
  // OpenAPI 3.0's `nullable`, in JSON Schema terms (it also appears without a `type`).
  if (obj.nullable !== true) return out;
  if (typeof out.type === "string") return { ...out, type: [out.type, "null"] };
  return { anyOf: [out, { type: "null" }] };
}

// OpenAPI 3.0 keywords ajv does not know (discriminator…) are ignored; `nullable` is rewritten above.
const bodies = addFormats(new Ajv({ strict: false, allErrors: true, validateSchema: false, logger: false }));
// Parameters arrive as strings; GitHub reads `per_page=100` as the integer the schema names.
const params = addFormats(
  new Ajv({ strict: false, allErrors: true, validateSchema: false, coerceTypes: true, logger: false }),
);

interface Route extends Operation {
  regex: RegExp;
  names: string[];
  literals: number;
}

function routeOf(method: string, template: string, op: Json): Route {
  const names: string[] = [];
  const pattern = template.replace(/\{([^}]+)\}/g, (_m, name: string) => {
    names.push(name);
    // A contents path spans segments (`.github/pikaci.yml`).
    return name === "path" ? "(.+)" : "([^/]+)";
  });
  return {
    method,
    template,
    operationId: String(op.operationId),
    regex: new RegExp(`^${pattern}$`),
    names,
    literals: template.split("/").filter((s) => s !== "" && !s.startsWith("{")).length,
  };
}

/** Schemas are compiled only for operations a request names: compiling all of GitHub's takes minutes. */
function compileOperation(route: Route): CompiledOperation {
  const item = (spec().paths as Json)[route.template] as Json;
  const op = item[route.method.toLowerCase()] as Json;
  const parameters = ((op.parameters as unknown[]) ?? []).map((p) => deref(p) as Json);
  const requestBody = op.requestBody ? (deref(op.requestBody) as Json) : null;
  const jsonSchema = (requestBody?.content as Json | undefined)?.["application/json"] as Json | undefined;
  return {
    ...route,
    params: parameters
      .filter((p) => p.in === "path" || p.in === "query")
      .map((p) => ({
        name: String(p.name),
        in: String(p.in),
        required: p.required === true,
        validate: params.compile((p.schema as Json) ?? {}),
      })),
    body: requestBody
      ? {
          required: requestBody.required === true,
          validate: jsonSchema?.schema ? bodies.compile(jsonSchema.schema as Json) : null,
        }
      : null,
  };
}

const routes = new Map<string, Route[]>();
const compiled = new Map<string, CompiledOperation>();

function routesFor(method: string): Route[] {
  let list = routes.get(method);
  if (!list) {
    list = [];
    for (const [template, item] of Object.entries(spec().paths as Json)) {
      const op = (item as Json)[method.toLowerCase()] as Json | undefined;
      if (op) list.push(routeOf(method, template, op));
    }
    routes.set(method, list);
  }
  return list;
}

function compiledFor(route: Route): CompiledOperation {
  const key = `${route.method} ${route.template}`;
  let op = compiled.get(key);
  if (!op) {
    op = compileOperation(route);
    compiled.set(key, op);
  }
  return op;
}

function errorsOf(where: string, validate: ValidateFunction): string[] {
  return (validate.errors ?? []).map((e) => `${where}${e.instancePath} ${e.message ?? "is invalid"}`);
}

/** Match a request to GitHub's description and validate it. `body` is the parsed JSON or undefined. */
export function checkRequest(req: { method: string; url: URL; body: unknown; raw: string }): Checked {
  const path = req.url.pathname;
  const route = routesFor(req.method)
    .filter((r) => r.regex.test(path))
    .sort((a, b) => b.literals - a.literals)[0];
  const op = route ? compiledFor(route) : undefined;
  if (!op)
    return { operation: null, params: {}, problems: [`no ${req.method} ${path} in GitHub's REST API`] };
  const match = op.regex.exec(path)!;
  const values: Record<string, string> = {};
  op.names.forEach((name, i) => {
    values[name] = decodeURIComponent(match[i + 1]!);
  });
  for (const [key, value] of req.url.searchParams) if (!(key in values)) values[key] = value;
  const problems: string[] = [];
  for (const p of op.params) {
    const value = values[p.name];
    if (value === undefined) {
      if (p.required) problems.push(`${p.in} parameter ${p.name} is required`);
      continue;
    }
    const holder = { v: value };
    const validate = p.validate;
    if (!validate(holder.v)) problems.push(...errorsOf(`${p.in} parameter ${p.name}`, validate));
  }
  if (op.body) {
    if (req.raw === "") {
      if (op.body.required) problems.push("a JSON body is required");
    } else if (req.body === undefined) {
      problems.push("the body is not JSON");
    } else if (op.body.validate && !op.body.validate(req.body)) {
      problems.push(...errorsOf("body", op.body.validate));
    }
  }
  const { method, template, operationId } = op;
  return { operation: { method, template, operationId }, params: values, problems };
}

/** Read the description now (about a second), not inside the first request. */
export function loadDescription(): void {
  spec();
}
