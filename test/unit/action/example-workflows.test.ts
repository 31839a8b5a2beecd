import { readFile } from "node:fs/promises";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { buildDispatchInputs } from "../../../app/src/dispatch.js";

const ROOT = path.resolve(import.meta.dirname, "../../..");
/** A workflow expression as written in YAML. */
const expr = (e: string) => ["$", `{{ ${e} }}`].join("");

interface Workflow {
  on: { workflow_dispatch: { inputs: Record<string, unknown> } };
  concurrency?: { group: string; "cancel-in-progress"?: boolean } | string;
  jobs: Record<
    string,
    { concurrency?: Workflow["concurrency"]; steps: { uses?: string; with?: Record<string, string> }[] }
  >;
}

async function dispatchWorkflow(): Promise<Workflow> {
  return parse(await readFile(path.join(ROOT, "examples/workflows/pikaci-dispatch.yml"), "utf8")) as Workflow;
}

/**
 * A group shared by two dispatches at the same head cancels the older one when `cancel-in-progress`
 * is set: a re-run of one lane would cancel the head's other lanes. Only a group unique to one
 * dispatch may cancel.
 */
function cancelsSiblings(c: Workflow["concurrency"]): boolean {
  if (c === undefined) return false;
  const group = typeof c === "string" ? c : c.group;
  const cancels = typeof c === "string" ? false : c["cancel-in-progress"] === true;
  const uniquePerDispatch = /inputs\.run_id|github\.run_id/.test(group);
  return cancels && !uniquePerDispatch;
}

describe("the example dispatch workflow (the App ↔ Action contract)", () => {
  it("declares exactly the inputs the App dispatches", async () => {
    const wf = await dispatchWorkflow();
    const sent = buildDispatchInputs({ runId: "r", headSha: "a".repeat(40), pr: 1, checkRuns: { x: 1 } });
    expect(Object.keys(wf.on.workflow_dispatch.inputs).sort()).toEqual(Object.keys(sent).sort());
  });

  it("never lets a re-run at the same head cancel the head's other lanes (the App cancels superseded runs)", async () => {
    const wf = await dispatchWorkflow();
    expect(cancelsSiblings(wf.concurrency)).toBe(false);
    for (const job of Object.values(wf.jobs)) expect(cancelsSiblings(job.concurrency)).toBe(false);
    // The check itself: the group this example used to have is caught.
    expect(
      cancelsSiblings({
        group: `pikaci-${expr("inputs.pr || inputs.head_sha")}`,
        "cancel-in-progress": true,
      }),
    ).toBe(true);
  });

  it("checks out the dispatched head and passes it, with the PR, to the action", async () => {
    const wf = await dispatchWorkflow();
    const steps = Object.values(wf.jobs).flatMap((j) => j.steps);
    const checkout = steps.find((s) => s.uses?.startsWith("actions/checkout"));
    expect(checkout?.with?.ref).toBe(expr("inputs.head_sha"));
    const pikaci = steps.find((s) => s.uses?.startsWith("pikaci/pikaci"));
    expect(pikaci?.with).toMatchObject({
      "head-sha": expr("inputs.head_sha"),
      "pull-request": expr("inputs.pr"),
      "check-runs": expr("inputs.check_runs"),
      "run-id": expr("inputs.run_id"),
    });
  });
});
