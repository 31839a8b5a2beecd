import examples from "@octokit/webhooks-examples";
import nock from "nock";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { API, testProbot } from "./helpers.js";

const SUBSCRIBED = ["pull_request", "check_run", "check_suite", "workflow_run", "push", "merge_group"];
const cases = (examples as unknown as { name: string; examples: Record<string, unknown>[] }[])
  .filter((e) => SUBSCRIBED.includes(e.name))
  .flatMap((e) =>
    e.examples.map((payload, i) => [`${e.name}.${String(payload.action)} #${i}`, e.name, payload] as const),
  );

beforeAll(() => {
  nock.disableNetConnect();
  // Robustness only: GitHub answers every installation-token request, and 404 to everything else.
  nock(API)
    .persist()
    .post(/^\/app\/installations\/\d+\/access_tokens$/)
    .reply(201, { token: "ghs_examples", expires_at: "2099-01-01T00:00:00Z" })
    .intercept(/.*/, "GET")
    .reply(404, { message: "Not Found" })
    .intercept(/.*/, "POST")
    .reply(404, { message: "Not Found" })
    .intercept(/.*/, "PATCH")
    .reply(404, { message: "Not Found" });
});
afterAll(() => {
  nock.cleanAll();
  nock.enableNetConnect();
});

describe("every @octokit/webhooks-examples payload for the subscribed events", () => {
  it("covers all four events", () => {
    expect(new Set(cases.map(([, name]) => name))).toEqual(new Set(SUBSCRIBED));
    expect(cases.length).toBeGreaterThan(40);
  });

  it.each(cases)("%s is handled without a programming error", async (_label, name, payload) => {
    const { probot, entries } = await testProbot();
    let failure: unknown = null;
    await probot.receive({ id: `example-${name}`, name, payload } as never).catch((error: unknown) => {
      failure = error;
    });
    // GitHub answers 404 to everything: the handlers must treat that as "nothing to do" or
    // fail with GitHub's error — never with a TypeError from an unexpected payload shape.
    expect(failure).toBeNull();
    const programmingErrors = entries.filter(
      (e) => e.level === "error" && /TypeError|ReferenceError|undefined/.test(JSON.stringify(e.args)),
    );
    expect(programmingErrors).toEqual([]);
  });
});
