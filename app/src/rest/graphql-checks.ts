import type { CreatedCheckRuns, NewCheckRun } from "../github-port.js";
import type { RestClient } from "./client.js";

/**
 * A pull request's check runs created in one GraphQL request instead of one REST call each.
 * Every HTTP exchange costs the App about as much CPU as the rest of a delivery's work, and a
 * 10-lane config made ten of them; GraphQL's `createCheckRun` mutation (GitHub Apps only), aliased
 * once per lane, creates them all in one. Mutation fields run one after another (GraphQL executes a
 * mutation's root fields serially) and each fails on its own: GitHub answers 200 with `data` for
 * the ones created and an `errors` entry, whose `path` names the alias, for each one refused.
 */

/** Lanes per request: GitHub documents no limit on aliases; this keeps one request small. */
export const CHECK_RUNS_PER_REQUEST = 25;

const documents = new Map<number, string>();

/** `mutation($r0: CreateCheckRunInput!, …) { r0: createCheckRun(input: $r0) { … } … }`, cached per count. */
export function createCheckRunsMutation(count: number): string {
  let document = documents.get(count);
  if (!document) {
    const aliases = Array.from({ length: count }, (_, i) => `r${i}`);
    const variables = aliases.map((a) => `$${a}: CreateCheckRunInput!`).join(", ");
    const fields = aliases.map((a) => `${a}: createCheckRun(input: $${a}) { checkRun { databaseId } }`);
    document = `mutation(${variables}) { ${fields.join(" ")} }`;
    documents.set(count, document);
  }
  return document;
}

/** Runs GraphQL can create as REST would; one with annotations stays on REST (none at creation). */
export function graphqlCreatable(runs: readonly NewCheckRun[]): boolean {
  return runs.every((r) => !r.output.annotations?.length);
}

/** REST's snake_case body → GraphQL's `CreateCheckRunInput` (camelCase, upper-case enums). */
export function toCreateCheckRunInput(
  run: NewCheckRun,
  repositoryId: string,
  now: string,
): Record<string, unknown> {
  const { title, summary, text } = run.output;
  return {
    repositoryId,
    name: run.name,
    headSha: run.head_sha,
    externalId: run.external_id,
    detailsUrl: run.details_url,
    status: run.status.toUpperCase(),
    // REST stamps a completed run's end itself; GraphQL is told.
    ...(run.status === "completed" ? { completedAt: now } : {}),
    ...(run.conclusion ? { conclusion: run.conclusion.toUpperCase() } : {}),
    output: { title, summary, ...(text === undefined ? {} : { text }) },
    ...(run.actions
      ? {
          actions: run.actions.map(({ label, description, identifier }) => ({
            label,
            description,
            identifier,
          })),
        }
      : {}),
  };
}

interface GraphqlAnswer {
  data?: Record<string, { checkRun?: { databaseId?: number | null } | null } | null> | null;
  errors?: { message?: string; path?: (string | number)[] }[];
}

/** Each run's id (null when GitHub refused it) and one error naming every refusal. */
export function readCreated(answer: GraphqlAnswer, runs: readonly NewCheckRun[]): CreatedCheckRuns {
  const ids = runs.map((_, i) => answer.data?.[`r${i}`]?.checkRun?.databaseId ?? null);
  const errors = answer.errors ?? [];
  if (ids.every((id) => id !== null) && errors.length === 0) return { ids, error: null };
  const why = errors.map((e) => {
    const alias = typeof e.path?.[0] === "string" ? /^r(\d+)$/.exec(e.path[0]) : null;
    const lane = alias ? runs[Number(alias[1])]?.name : undefined;
    return `${lane ? `${lane}: ` : ""}${e.message ?? "unknown error"}`;
  });
  const message = `GitHub's GraphQL API created ${ids.filter((id) => id !== null).length} of ${runs.length} check runs`;
  return { ids, error: new Error(why.length ? `${message}: ${why.join("; ")}` : message) };
}

/**
 * Create `runs` in `repositoryId` (the repository's node id), CHECK_RUNS_PER_REQUEST per request.
 * Never throws: a refused request or run ends the creation, and what was created keeps its id.
 */
export async function createCheckRunsGraphql(
  rest: RestClient,
  repositoryId: string,
  runs: readonly NewCheckRun[],
): Promise<CreatedCheckRuns> {
  const ids: (number | null)[] = runs.map(() => null);
  for (let start = 0; start < runs.length; start += CHECK_RUNS_PER_REQUEST) {
    const chunk = runs.slice(start, start + CHECK_RUNS_PER_REQUEST);
    const now = new Date().toISOString();
    const variables = Object.fromEntries(
      chunk.map((run, i) => [`r${i}`, toCreateCheckRunInput(run, repositoryId, now)]),
    );
    let created: CreatedCheckRuns;
    try {
      const res = await rest({
        method: "POST",
        path: "/graphql",
        graphql: true,
        body: { query: createCheckRunsMutation(chunk.length), variables },
      });
      created = readCreated(res.data as GraphqlAnswer, chunk);
    } catch (error) {
      created = { ids: [], error: error instanceof Error ? error : new Error(String(error)) };
    }
    created.ids.forEach((id, i) => {
      ids[start + i] = id;
    });
    // The runs after a refusal are not asked for.
    if (created.error) return { ids, error: created.error };
  }
  return { ids, error: null };
}
