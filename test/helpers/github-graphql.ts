import { schema as published } from "@octokit/graphql-schema";
import {
  buildClientSchema,
  type DocumentNode,
  type ExecutionResult,
  executeSync,
  GraphQLError,
  type GraphQLSchema,
  parse,
  validate,
} from "graphql";

/**
 * GitHub's GraphQL API as its published schema (@octokit/graphql-schema) describes it, for
 * stand-ins: a request is parsed, validated against the schema and executed with the schema's
 * own coercion of variables (an unknown input field, a missing required one or a value outside an
 * enum is refused as GitHub refuses it), with `root` answering the root fields. What GitHub answers
 * to an invalid document or variables is a 200 with `errors` and no `data`, as here.
 */
let schema: GraphQLSchema | undefined;
const documents = new Map<string, DocumentNode | readonly GraphQLError[]>();

function githubSchema(): GraphQLSchema {
  schema ??= buildClientSchema(published.json as never);
  return schema;
}

function documentOf(query: string): DocumentNode | readonly GraphQLError[] {
  let document = documents.get(query);
  if (!document) {
    const github = githubSchema();
    try {
      const parsed = parse(query);
      const errors = validate(github, parsed);
      document = errors.length ? errors : parsed;
    } catch (error) {
      document = [error instanceof GraphQLError ? error : new GraphQLError(String(error))];
    }
    documents.set(query, document);
  }
  return document;
}

/** Root field name → its answer from the field's (coerced) arguments; throwing refuses that field only. */
export type GraphqlRoot = Record<string, (args: Record<string, unknown>) => unknown>;

export function answerGraphql(body: unknown, root: GraphqlRoot): ExecutionResult {
  const { query, variables } = (body ?? {}) as { query?: unknown; variables?: Record<string, unknown> };
  if (typeof query !== "string") return { errors: [new GraphQLError("A query attribute must be specified")] };
  const document = documentOf(query);
  if (!("kind" in document)) return { errors: document };
  return executeSync({
    schema: githubSchema(),
    document,
    rootValue: root,
    variableValues: variables ?? {},
  });
}

/** `ExecutionResult` as the JSON GitHub sends (errors with message, path and locations). */
export function graphqlJson(result: ExecutionResult): unknown {
  return JSON.parse(JSON.stringify(result));
}
