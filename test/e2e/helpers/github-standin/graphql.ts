import { answerGraphql, graphqlJson } from "../../../helpers/github-graphql.js";
import type { Principal } from "./auth.js";
import type { CheckRunStore } from "./check-runs.js";
import type { Repository } from "./repository.js";
import type { Reply } from "./routes.js";

/**
 * GitHub's GraphQL endpoint (`POST /graphql`) for the one mutation pikaci sends, `createCheckRun`.
 * The document and its variables are validated and coerced against GitHub's published schema; a
 * created run lands in the same store as a REST-created one, so the rest of the loop sees no
 * difference. As GitHub: only an installation token may create check runs, an unknown repository
 * id or commit refuses that field alone (200 with `errors`), and a bad document refuses the whole.
 */
export function answerGraphqlRequest(p: {
  body: unknown;
  principal: Principal;
  repo: Repository;
  repoNodeId: string;
  checkRuns: CheckRunStore;
}): Reply {
  const { principal } = p;
  if (principal.kind !== "installation") {
    return { status: 403, body: { message: "Resource not accessible by integration" } };
  }
  const result = answerGraphql(p.body, {
    createCheckRun: ({ input }) => {
      const fields = input as Record<string, unknown>;
      if (fields.repositoryId !== p.repoNodeId)
        throw new Error(`Could not resolve to a node with the global id of '${String(fields.repositoryId)}'`);
      if (!p.repo.resolve(String(fields.headSha)))
        throw new Error(`No commit found for SHA: ${fields.headSha}`);
      const run = p.checkRuns.create(principal.appId, restBodyOf(fields), principal.holder);
      return { checkRun: { databaseId: run.id } };
    },
  });
  return { status: 200, body: graphqlJson(result) };
}

/** GraphQL's `CreateCheckRunInput` (camelCase, upper-case enums) as the REST body the store keeps. */
function restBodyOf(input: Record<string, unknown>): Record<string, unknown> {
  const lower = (value: unknown) => (typeof value === "string" ? value.toLowerCase() : undefined);
  const body: Record<string, unknown> = {
    name: input.name,
    head_sha: input.headSha,
    external_id: input.externalId ?? undefined,
    details_url: input.detailsUrl ?? undefined,
    status: lower(input.status),
    conclusion: lower(input.conclusion),
    started_at: input.startedAt ?? undefined,
    completed_at: input.completedAt ?? undefined,
    output: input.output ?? undefined,
    actions: input.actions ?? undefined,
  };
  return Object.fromEntries(
    Object.entries(body).filter(([, value]) => value !== undefined && value !== null),
  );
}
