import { LineCounter, parseDocument, type YAMLError } from "yaml";
import { ConfigError, type ConfigIssue } from "../errors/index.js";
import { PikaciConfig } from "../schema/index.js";
import { checkLanes } from "./lane-checks.js";
import { mapZodIssues } from "./zod-issues.js";

/**
 * Parse and validate a config text. Throws one ConfigError carrying every issue found,
 * each at the exact line:col of the offending key or value, sorted by position.
 */
export function parseConfig(text: string, file: string): PikaciConfig {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, {
    lineCounter,
    keepSourceTokens: true,
    prettyErrors: true,
    uniqueKeys: true,
  });
  if (doc.errors.length > 0) throw new ConfigError(sortIssues(doc.errors.map((e) => yamlIssue(e, file))));

  let data: unknown;
  try {
    data = doc.toJS();
  } catch (error) {
    throw new ConfigError([{ file, line: 1, col: 1, message: (error as Error).message }]);
  }

  const result = PikaciConfig.safeParse(data, { reportInput: true });
  const context = { file, doc, lineCounter, schema: PikaciConfig };
  const issues = [
    ...(result.success ? [] : mapZodIssues(result.error.issues, context)),
    ...checkLanes(data, context),
  ];
  if (issues.length > 0 || !result.success) throw new ConfigError(sortIssues(dedupe(issues)));
  return result.data;
}

function yamlIssue(error: YAMLError, file: string): ConfigIssue {
  const position = error.linePos?.[0] ?? { line: 1, col: 1 };
  // The library appends " at line L, column C:" and a source excerpt; we print our own location.
  const message = (error.message.split("\n")[0] ?? error.message).replace(/ at line \d+, column \d+:?$/, "");
  return { file, line: position.line, col: position.col, message: `invalid YAML: ${message}` };
}

function dedupe(issues: ConfigIssue[]): ConfigIssue[] {
  const seen = new Set<string>();
  return issues.filter((issue) => {
    const key = `${issue.line}:${issue.col}:${issue.message}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

export function sortIssues(issues: ConfigIssue[]): ConfigIssue[] {
  return [...issues].sort((a, b) => a.line - b.line || a.col - b.col);
}
