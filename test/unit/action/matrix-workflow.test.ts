import { execFile } from "node:child_process";
import { mkdtemp, readFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { buildDispatchInputs } from "../../../app/src/dispatch.js";

const ROOT = path.resolve(import.meta.dirname, "../../..");
const expr = (e: string) => ["$", `{{ ${e} }}`].join("");
const run = promisify(execFile);

interface Step {
  id?: string;
  uses?: string;
  run?: string;
  env?: Record<string, string>;
  with?: Record<string, string>;
}
interface Job {
  needs?: string;
  strategy?: { "fail-fast"?: boolean; matrix?: Record<string, unknown> };
  concurrency?: unknown;
  steps: Step[];
}
interface Workflow {
  on: { workflow_dispatch: { inputs: Record<string, unknown> } };
  concurrency?: unknown;
  jobs: Record<string, Job>;
}

const workflow = async () =>
  parse(await readFile(path.join(ROOT, "examples/workflows/pikaci-dispatch-matrix.yml"), "utf8")) as Workflow;

/** Runs the split step's own script as a runner would, and returns its `groups` output. */
async function split(checkRuns: Record<string, number>): Promise<string[]> {
  const step = (await workflow()).jobs.split!.steps.find((s) => s.id === "split")!;
  const output = path.join(await mkdtemp(path.join(tmpdir(), "pikaci-split-")), "out");
  await run("bash", ["-e", "-c", step.run!], {
    env: {
      PATH: process.env.PATH,
      CHECK_RUNS: JSON.stringify(checkRuns),
      JOBS: step.env!.JOBS,
      GITHUB_OUTPUT: output,
    },
  });
  const line = (await readFile(output, "utf8")).trim();
  expect(line.startsWith("groups=")).toBe(true);
  return JSON.parse(line.slice("groups=".length));
}

describe("the matrix dispatch workflow (many lanes over several runner jobs)", () => {
  it("declares exactly the inputs the App dispatches, and no cancelling concurrency", async () => {
    const wf = await workflow();
    const sent = buildDispatchInputs({ runId: "r", headSha: "a".repeat(40), pr: 1, checkRuns: { x: 1 } });
    expect(Object.keys(wf.on.workflow_dispatch.inputs).sort()).toEqual(Object.keys(sent).sort());
    expect(wf.concurrency).toBeUndefined();
    for (const job of Object.values(wf.jobs)) expect(job.concurrency).toBeUndefined();
  });

  it("puts every dispatched lane in exactly one group, at most JOBS groups", async () => {
    const lanes = Object.fromEntries(Array.from({ length: 11 }, (_, i) => [`lane-${i}`, 100 + i]));
    const groups = await split(lanes);
    expect(groups).toHaveLength(4);
    const all = groups.flatMap((g) => g.split(","));
    expect(all.sort()).toEqual(Object.keys(lanes).sort());
    expect(await split({ only: 1 })).toEqual(["only"]);
    expect(await split({ a: 1, b: 2 })).toEqual(["a", "b"]);
  });

  it("runs each group as its own matrix job with the App's map, its lanes and fail-fast off", async () => {
    const lanesJob = (await workflow()).jobs.lanes!;
    expect(lanesJob.needs).toBe("split");
    expect(lanesJob.strategy?.["fail-fast"]).toBe(false);
    expect(lanesJob.strategy?.matrix?.lanes).toBe(expr("fromJSON(needs.split.outputs.groups)"));
    const pikaci = lanesJob.steps.find((s) => s.uses?.startsWith("pikaci/pikaci"));
    expect(pikaci?.with).toMatchObject({
      lanes: expr("matrix.lanes"),
      "check-runs": expr("inputs.check_runs"),
      "run-id": expr("inputs.run_id"),
      "head-sha": expr("inputs.head_sha"),
    });
    const checkout = lanesJob.steps.find((s) => s.uses?.startsWith("actions/checkout"));
    expect(checkout?.with?.ref).toBe(expr("inputs.head_sha"));
  });
});
