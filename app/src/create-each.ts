import type { CreatedCheckRuns, GitHubPort, NewCheckRun } from "./github-port.js";
import { mapLimit } from "./map-limit.js";

/** How many check runs are created at once; GitHub frowns on bursts of parallel writes. */
const CREATE_CONCURRENCY = 4;

/**
 * One `createCheckRun` per run, a few at a time. The first refusal stops the rest; the runs
 * created until then keep their ids, so the caller can conclude them.
 */
export async function createEach(
  port: Pick<GitHubPort, "createCheckRun">,
  runs: readonly NewCheckRun[],
): Promise<CreatedCheckRuns> {
  const ids: (number | null)[] = runs.map(() => null);
  try {
    await mapLimit([...runs.keys()], CREATE_CONCURRENCY, async (i) => {
      ids[i] = await port.createCheckRun(runs[i]!);
    });
    return { ids, error: null };
  } catch (error) {
    return { ids, error: error instanceof Error ? error : new Error(String(error)) };
  }
}
