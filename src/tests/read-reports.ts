import { createReadStream } from "node:fs";
import { stat } from "node:fs/promises";
import type { PathRoots } from "../report/paths.js";
import type { LaneTestResults } from "../schema/index.js";
import {
  createJunitReader,
  DEFAULT_JUNIT_LIMITS,
  type JunitLimits,
  type RawTestCase,
} from "./junit-parse.js";
import { LaneResultsBuilder, type ResultLimits } from "./lane-results.js";
import { locateFailure } from "./locate.js";

export interface ReportFile {
  /** Where the file is on this machine. */
  path: string;
  /** How the record names it (relative to the lane's artifacts dir). */
  name: string;
}

/**
 * Read a lane's JUnit reports into its test results. A report that is refused (too large, a
 * DOCTYPE, malformed) becomes a warning: the cases read before the problem still count.
 */
export async function readLaneReports(params: {
  files: readonly ReportFile[];
  roots: PathRoots;
  isRepoFile?: (path: string) => boolean;
  limits?: Partial<JunitLimits>;
  resultLimits?: Partial<ResultLimits>;
}): Promise<LaneTestResults> {
  const builder = new LaneResultsBuilder(params.resultLimits);
  const limits = { ...DEFAULT_JUNIT_LIMITS, ...params.limits };
  for (const file of params.files) {
    builder.report(file.name);
    const onCase = (raw: RawTestCase) =>
      builder.add(
        raw,
        raw.status === "failed" || raw.status === "error"
          ? locateFailure(raw, params.roots, params.isRepoFile)
          : null,
      );
    try {
      await readOne(file.path, { onCase, limits });
    } catch (error) {
      builder.warn(`${file.name}: ${error instanceof Error ? error.message : String(error)}`);
    }
  }
  return builder.build();
}

/** Stream one file through the reader; a file over the byte cap is refused before it is opened. */
export async function readOne(
  path: string,
  params: { onCase: (raw: RawTestCase) => void; limits: JunitLimits },
): Promise<void> {
  const info = await stat(path);
  if (info.size > params.limits.maxBytes) {
    throw new Error(
      `the report is ${info.size} bytes, over the ${params.limits.maxBytes}-byte limit; it was not read`,
    );
  }
  const reader = createJunitReader({ onCase: params.onCase, limits: params.limits });
  const stream = createReadStream(path, { encoding: "utf8", highWaterMark: 64 * 1024 });
  try {
    for await (const chunk of stream) reader.write(chunk as string);
    reader.end();
  } finally {
    stream.destroy();
  }
}
