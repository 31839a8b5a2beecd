import { parse } from "yaml";

/**
 * A workflow file as the Actions runner reads it, for the few things the stand-in runner needs:
 * the `workflow_dispatch` inputs, the `concurrency` group, and the steps of its job, with
 * `${{ … }}` expressions evaluated (property paths, literals, `||`, `&&`, `==`, `!=`, `!`,
 * `format()`). An expression or step outside that slice fails the test with what is missing,
 * rather than running something other than what GitHub would run.
 */
export interface DispatchInput {
  required: boolean;
  default?: string;
}

export interface Step {
  id?: string;
  name?: string;
  uses?: string;
  run?: string;
  if?: string;
  with: Record<string, unknown>;
}

export interface WorkflowFile {
  inputs: Record<string, DispatchInput> | null;
  concurrency: { group: string; cancelInProgress: string } | null;
  job: { name: string; steps: Step[]; concurrency: { group: string; cancelInProgress: string } | null };
}

type Json = Record<string, unknown>;

function concurrencyOf(value: unknown): WorkflowFile["concurrency"] {
  if (value === undefined || value === null) return null;
  if (typeof value === "string") return { group: value, cancelInProgress: "false" };
  const obj = value as Json;
  return { group: String(obj.group), cancelInProgress: String(obj["cancel-in-progress"] ?? "false") };
}

export function parseWorkflow(text: string): WorkflowFile {
  const doc = parse(text) as Json;
  const on = doc.on ?? doc.true; // YAML 1.1 readers turn `on` into true; `yaml` keeps it a string.
  const triggers = (
    typeof on === "string"
      ? { [on]: null }
      : Array.isArray(on)
        ? Object.fromEntries(on.map((t) => [t, null]))
        : on
  ) as Json;
  const dispatch =
    triggers && "workflow_dispatch" in triggers ? ((triggers.workflow_dispatch as Json | null) ?? {}) : null;
  const inputs = dispatch
    ? Object.fromEntries(
        Object.entries((dispatch.inputs as Json | undefined) ?? {}).map(([name, spec]) => {
          const s = (spec ?? {}) as Json;
          return [
            name,
            {
              required: s.required === true,
              ...(s.default !== undefined ? { default: String(s.default) } : {}),
            },
          ];
        }),
      )
    : null;
  const jobs = Object.entries((doc.jobs as Json | undefined) ?? {});
  if (jobs.length !== 1)
    throw new Error(`the stand-in runner runs workflows of one job; this one has ${jobs.length}`);
  const [jobName, job] = jobs[0] as [string, Json];
  return {
    inputs,
    concurrency: concurrencyOf(doc.concurrency),
    job: {
      name: jobName,
      concurrency: concurrencyOf(job.concurrency),
      steps: ((job.steps as Json[]) ?? []).map((s) => ({
        ...(s.id ? { id: String(s.id) } : {}),
        ...(s.name ? { name: String(s.name) } : {}),
        ...(s.uses ? { uses: String(s.uses) } : {}),
        ...(s.run ? { run: String(s.run) } : {}),
        ...(s.if !== undefined ? { if: String(s.if) } : {}),
        with: (s.with as Json | undefined) ?? {},
      })),
    },
  };
}

/** A string with `${{ expr }}` parts replaced by their values; a whole-expression string keeps the value. */
export function interpolate(template: unknown, contexts: Json): string {
  const text = String(template);
  return text.replace(/\$\{\{([\s\S]*?)\}\}/g, (_m, expr: string) => render(evaluate(expr, contexts)));
}

/** An `if:` condition: an expression with or without `${{ }}`. */
export function condition(text: string, contexts: Json): boolean {
  const inner = /^\s*\$\{\{([\s\S]*)\}\}\s*$/.exec(text)?.[1] ?? text;
  return truthy(evaluate(inner, contexts));
}

function render(value: unknown): string {
  if (value === null || value === undefined) return "";
  return typeof value === "object" ? JSON.stringify(value) : String(value);
}

function truthy(value: unknown): boolean {
  return !(value === null || value === undefined || value === false || value === "" || value === 0);
}

const TOKEN = /\s*(\|\||&&|==|!=|!|\(|\)|,|'(?:[^']|'')*'|-?\d+(?:\.\d+)?|[A-Za-z_][A-Za-z0-9_.*-]*)/y;

export function evaluate(expr: string, contexts: Json): unknown {
  const tokens: string[] = [];
  TOKEN.lastIndex = 0;
  while (TOKEN.lastIndex < expr.length) {
    const start = TOKEN.lastIndex;
    const m = TOKEN.exec(expr);
    if (!m) {
      if (expr.slice(start).trim() === "") break;
      throw new Error(
        `the stand-in runner cannot read the expression "${expr.trim()}" at "${expr.slice(start)}"`,
      );
    }
    tokens.push(m[1]!);
  }
  let i = 0;
  const peek = () => tokens[i];
  const next = () => tokens[i++];
  const or = (): unknown => {
    let left = and();
    while (peek() === "||") {
      next();
      const right = and();
      left = truthy(left) ? left : right;
    }
    return left;
  };
  const and = (): unknown => {
    let left = cmp();
    while (peek() === "&&") {
      next();
      const right = cmp();
      left = truthy(left) ? right : left;
    }
    return left;
  };
  const cmp = (): unknown => {
    const left = unary();
    if (peek() === "==" || peek() === "!=") {
      const op = next();
      const right = unary();
      const same = String(left ?? "").toLowerCase() === String(right ?? "").toLowerCase();
      return op === "==" ? same : !same;
    }
    return left;
  };
  const unary = (): unknown => {
    if (peek() === "!") {
      next();
      return !truthy(unary());
    }
    return primary();
  };
  const primary = (): unknown => {
    const t = next();
    if (t === undefined) throw new Error(`the expression "${expr.trim()}" ends early`);
    if (t === "(") {
      const v = or();
      next();
      return v;
    }
    if (t.startsWith("'")) return t.slice(1, -1).replace(/''/g, "'");
    if (/^-?\d/.test(t)) return Number(t);
    if (t === "true" || t === "false") return t === "true";
    if (t === "null") return null;
    if (peek() === "(") return call(t);
    return t
      .split(".")
      .reduce<unknown>(
        (at, key) => (at === null || at === undefined ? null : ((at as Json)[key] ?? null)),
        contexts,
      );
  };
  const call = (name: string): unknown => {
    next();
    const args: unknown[] = [];
    while (peek() !== ")") {
      args.push(or());
      if (peek() === ",") next();
    }
    next();
    if (name === "format")
      return String(args[0]).replace(/\{(\d+)\}/g, (_m, n: string) => render(args[Number(n) + 1]));
    if (name === "always") return true;
    if (name === "success") return contexts.__success !== false;
    if (name === "failure") return contexts.__success === false;
    if (name === "cancelled") return contexts.__cancelled === true;
    throw new Error(`the stand-in runner does not implement the expression function ${name}()`);
  };
  const value = or();
  if (i < tokens.length) throw new Error(`the stand-in runner cannot read the expression "${expr.trim()}"`);
  return value;
}
