import picomatch from "picomatch";
import type { Document, LineCounter } from "yaml";
import type { ConfigIssue } from "../errors/index.js";
import { locate, positionOf } from "./positions.js";

interface CheckContext {
  file: string;
  doc: Document;
  lineCounter: LineCounter;
}

/**
 * Checks zod cannot express on one value: ids unique across lanes, and globs that can never match.
 * They run on the raw data even when the schema failed, so every issue is reported in one pass.
 */
export function checkLanes(data: unknown, ctx: CheckContext): ConfigIssue[] {
  const lanes = (data as { lanes?: unknown } | null)?.lanes;
  if (!Array.isArray(lanes)) return [];
  return [...duplicateIds(lanes, ctx), ...lanes.flatMap((lane, index) => badGlobs(lane, index, ctx))];
}

function duplicateIds(lanes: readonly unknown[], ctx: CheckContext): ConfigIssue[] {
  const firstIndex = new Map<string, number>();
  const issues: ConfigIssue[] = [];
  lanes.forEach((lane, index) => {
    const id = (lane as { id?: unknown } | null)?.id;
    if (typeof id !== "string") return;
    const first = firstIndex.get(id);
    if (first === undefined) {
      firstIndex.set(id, index);
      return;
    }
    const firstLine = positionOf(locate(ctx.doc, ["lanes", first, "id"]).value, ctx.lineCounter).line;
    issues.push({
      file: ctx.file,
      ...positionOf(locate(ctx.doc, ["lanes", index, "id"]).value, ctx.lineCounter),
      message: `duplicate lane id \`${id}\``,
      hint: `first declared at line ${firstLine}; give each lane its own id`,
    });
  });
  return issues;
}

function badGlobs(lane: unknown, laneIndex: number, ctx: CheckContext): ConfigIssue[] {
  const paths = (lane as { paths?: unknown } | null)?.paths;
  if (!Array.isArray(paths)) return [];
  const issues: ConfigIssue[] = [];
  paths.forEach((glob, index) => {
    if (typeof glob !== "string" || glob === "") return;
    const problem = globProblem(glob);
    if (!problem) return;
    issues.push({
      file: ctx.file,
      ...positionOf(locate(ctx.doc, ["lanes", laneIndex, "paths", index]).value, ctx.lineCounter),
      ...problem,
    });
  });
  return issues;
}

function globProblem(glob: string): { message: string; hint: string } | undefined {
  if (glob.startsWith("/")) {
    return {
      message: `path filter \`${glob}\` starts with "/" and can never match`,
      hint: `paths are relative to the repository root; write \`${glob.replace(/^\/+/, "")}\``,
    };
  }
  try {
    picomatch.makeRe(glob, { strictBrackets: true, dot: true });
    return undefined;
  } catch (error) {
    return {
      message: `invalid glob \`${glob}\`: ${(error as Error).message}`,
      hint: "balance the brackets, or escape a literal one with a backslash",
    };
  }
}
