/**
 * Function lengths, measured with the TypeScript compiler's own parser so that every kind of
 * function counts: declarations, methods, constructors, accessors, arrows and function
 * expressions, an outer factory as well as each closure inside it (a 90-line factory of small
 * closures is still 90 lines to read). Pure: source text in, rows out.
 */
import ts from "typescript";

export interface FunctionLength {
  file: string;
  /** 1-based line of the function's first token (its doc comment is not counted). */
  line: number;
  name: string;
  /** Lines from the first token to the last, both included. */
  lines: number;
}

export const LENGTH_RULES = {
  /** Functions longer than this are listed, and only `maxOverSoft` of them may exist. */
  soft: 60,
  /** No production function may be longer than this. */
  hard: 80,
  maxOverSoft: 5,
} as const;

export type LengthRules = { soft: number; hard: number; maxOverSoft: number };

export function measureFunctions(file: string, text: string): FunctionLength[] {
  const source = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true);
  const out: FunctionLength[] = [];
  const visit = (node: ts.Node): void => {
    if (isFunctionLike(node)) {
      const first = source.getLineAndCharacterOfPosition(node.getStart(source)).line;
      const last = source.getLineAndCharacterOfPosition(node.end).line;
      out.push({ file, line: first + 1, name: nameOf(node, source), lines: last - first + 1 });
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return out;
}

function isFunctionLike(node: ts.Node): node is ts.FunctionLikeDeclaration {
  return (
    ts.isFunctionDeclaration(node) ||
    ts.isMethodDeclaration(node) ||
    ts.isConstructorDeclaration(node) ||
    ts.isGetAccessorDeclaration(node) ||
    ts.isSetAccessorDeclaration(node) ||
    ts.isArrowFunction(node) ||
    ts.isFunctionExpression(node)
  );
}

/** The name a reader would search for: its own, the variable or property it is assigned to, or `<anon>`. */
function nameOf(node: ts.FunctionLikeDeclaration, source: ts.SourceFile): string {
  if (ts.isConstructorDeclaration(node)) return "constructor";
  if (node.name) return node.name.getText(source);
  const parent = node.parent;
  if (ts.isVariableDeclaration(parent) || ts.isPropertyAssignment(parent)) return parent.name.getText(source);
  return "<anon>";
}

export interface LengthVerdict {
  /** Functions over `soft` lines, longest first. */
  overSoft: FunctionLength[];
  overHard: FunctionLength[];
  /** Why the check fails, each naming the fix; empty when it passes. */
  problems: string[];
}

export function judgeLengths(
  rows: readonly FunctionLength[],
  rules: LengthRules = LENGTH_RULES,
): LengthVerdict {
  const overSoft = rows.filter((row) => row.lines > rules.soft).sort(byLength);
  const overHard = overSoft.filter((row) => row.lines > rules.hard);
  const problems: string[] = [];
  const fix =
    "split it: move steps into well-named module-level functions (or a small object holding the shared state) until each is under";
  if (overHard.length > 0) {
    problems.push(
      `${overHard.length} function(s) over ${rules.hard} lines: ${overHard.map(where).join(", ")}. ${fix} ${rules.soft} lines.`,
    );
  }
  if (overSoft.length > rules.maxOverSoft) {
    problems.push(
      `${overSoft.length} functions over ${rules.soft} lines; at most ${rules.maxOverSoft} may be: ${overSoft.map(where).join(", ")}. ${fix} ${rules.soft} lines, starting with the longest.`,
    );
  }
  return { overSoft, overHard, problems };
}

export function formatRow(row: FunctionLength): string {
  return `${row.lines} ${row.file}:${row.line} ${row.name}`;
}

const where = (row: FunctionLength) => `${row.file}:${row.line} ${row.name} (${row.lines})`;
const byLength = (a: FunctionLength, b: FunctionLength) =>
  b.lines - a.lines || a.file.localeCompare(b.file) || a.line - b.line;
