import picomatch from "picomatch";
import type { ResolvedLane } from "../config/index.js";
import type { LaneFilter } from "../schema/index.js";

export interface SelectParams {
  lanes: readonly Pick<ResolvedLane, "id" | "paths">[];
  /** Repository-relative paths; null when change detection was unavailable. */
  changedFiles: readonly string[] | null;
  /** Repository-relative path of the config file: changing it re-runs everything. */
  configPath: string;
}

/** Which lanes run for a change set, each with the reason a person reads in the check run. Pure. */
export function selectLanes({ lanes, changedFiles, configPath }: SelectParams): LaneFilter[] {
  const changed = changedFiles?.map(normalise) ?? null;
  const configChanged = changed?.includes(normalise(configPath)) ?? false;
  return lanes.map((lane) => {
    const paths = [...lane.paths];
    const result = (selected: boolean, reason: string): LaneFilter => ({
      lane_id: lane.id,
      paths,
      selected,
      reason,
    });
    if (paths.length === 0) return result(true, "no path filters");
    if (changed === null) return result(true, "change detection unavailable; running every lane");
    if (configChanged) return result(true, "the pikaci config changed");
    const match = firstMatch(paths, changed);
    if (match) return result(true, `${match.file} matched ${match.glob}`);
    return result(false, `no changed files matched ${paths.length} path filter(s)`);
  });
}

function firstMatch(
  globs: readonly string[],
  files: readonly string[],
): { file: string; glob: string } | undefined {
  const matchers = globs.map((glob) => ({ glob, isMatch: matcherOf(glob) }));
  for (const file of files) {
    const hit = matchers.find((m) => m.isMatch(file));
    if (hit) return { file, glob: hit.glob };
  }
  return undefined;
}

/**
 * Compiled globs, kept: the App selects lanes for every delivery from the same few configs, and
 * compiling a glob to a regular expression cost more than matching the files against it. Bounded,
 * oldest dropped first; a matcher is a pure function of its glob.
 */
const MATCHERS_MAX = 1024;
const matchers = new Map<string, (file: string) => boolean>();

function matcherOf(glob: string): (file: string) => boolean {
  let isMatch = matchers.get(glob);
  if (!isMatch) {
    isMatch = picomatch(glob, { dot: true });
    if (matchers.size >= MATCHERS_MAX) matchers.delete(matchers.keys().next().value!);
    matchers.set(glob, isMatch);
  }
  return isMatch;
}

/** Git reports `docs/x.md`; people type `./docs/x.md`. Treat them alike. */
function normalise(path: string): string {
  return path.replace(/^(\.\/)+/, "");
}
