import type { Annotation } from "../github/checks.js";
import { headBytes, truncateChars, truncateHead } from "./bytes.js";
import {
  ANNOTATION_MESSAGE_MAX_BYTES,
  ANNOTATION_TITLE_MAX_CHARS,
  ANNOTATIONS_PER_REQUEST,
} from "./limits.js";
import { maskSecrets } from "./mask.js";
import type { Problem } from "./matchers/index.js";
import { type PathRoots, relativizePath } from "./paths.js";

export type { Annotation };

export interface AnnotationOptions extends PathRoots {
  secrets?: readonly string[];
  /** Maps a path the tool printed relative to something else (go's bare `x_test.go`) to a repo path. */
  resolve?: (relative: string) => string | undefined;
  /** A cap so one noisy lane cannot send thousands of requests. */
  max?: number;
}

/** Keep an annotation within GitHub's limits; columns are only allowed on single-line annotations. */
export function fitAnnotation(a: Annotation): Annotation {
  const fitted: Annotation = { ...a, message: truncateHead(a.message, ANNOTATION_MESSAGE_MAX_BYTES) };
  if (a.title !== undefined) fitted.title = truncateChars(a.title, ANNOTATION_TITLE_MAX_CHARS);
  if (a.raw_details !== undefined)
    fitted.raw_details = headBytes(a.raw_details, ANNOTATION_MESSAGE_MAX_BYTES);
  if (fitted.start_line !== fitted.end_line) {
    delete fitted.start_column;
    delete fitted.end_column;
  }
  return fitted;
}

/** `failure`/`warning` annotations on real source lines; problems outside the repository are dropped. */
export function problemAnnotations(problems: readonly Problem[], options: AnnotationOptions): Annotation[] {
  const { secrets = [], max = 1000 } = options;
  const out: Annotation[] = [];
  for (const p of problems) {
    if (out.length >= max) break;
    let file = relativizePath(p.file, options);
    if (file !== undefined && options.resolve) file = options.resolve(file);
    if (file === undefined || p.line < 1) continue;
    const annotation: Annotation = {
      path: file,
      start_line: p.line,
      end_line: p.line,
      annotation_level: p.severity === "warning" ? "warning" : "failure",
      message: maskSecrets(p.message, secrets) || p.title,
      title: p.title,
    };
    if (p.column !== undefined && p.column > 0) {
      annotation.start_column = p.column;
      annotation.end_column = p.column;
    }
    out.push(fitAnnotation(annotation));
  }
  return out;
}

/** The `notice` on the lane's `id:` line in `.github/pikaci.yml`, carrying its phase summary. */
export function laneNotice(params: {
  configPath: string;
  line: number;
  laneId: string;
  title: string;
  message: string;
}): Annotation {
  return fitAnnotation({
    path: params.configPath,
    start_line: params.line,
    end_line: params.line,
    annotation_level: "notice",
    title: `${params.laneId}: ${params.title}`,
    message: params.message,
  });
}

/** Split into requests of at most 50, the most the Checks API takes per create/update. */
export function batchAnnotations<T>(annotations: readonly T[], size = ANNOTATIONS_PER_REQUEST): T[][] {
  const batches: T[][] = [];
  for (let i = 0; i < annotations.length; i += size) batches.push(annotations.slice(i, i + size));
  return batches;
}
