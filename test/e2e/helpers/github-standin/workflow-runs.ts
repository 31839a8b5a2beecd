import { mkdtemp } from "node:fs/promises";
import path from "node:path";
import type { StoredArtifact } from "../../../helpers/artifact-standin.js";
import { type JobContext, type JobHandle, startJob } from "./job.js";
import { interpolate, type WorkflowFile } from "./workflow-file.js";

/**
 * Workflow runs of dispatched workflows, with the Actions runner's `concurrency` rules: one run at
 * a time per group; a new run waits for the running one, and with `cancel-in-progress` cancels it
 * first; a waiting run is replaced (cancelled) by a newer one. When a run ends — also when it was
 * cancelled before any step ran — `workflow_run.completed` is delivered.
 */
export interface WorkflowRun {
  id: number;
  workflowPath: string;
  ref: string;
  headSha: string;
  inputs: Record<string, string>;
  group: string | null;
  status: "queued" | "pending" | "in_progress" | "completed";
  conclusion: "success" | "failure" | "cancelled" | null;
  createdAt: string;
  updatedAt: string;
  job: JobHandle | null;
  /** Set when a cancel was asked for (API or concurrency), with who asked. */
  cancelledBy: string | null;
  artifacts: (StoredArtifact & { id: number; createdAt: string })[];
}

export interface WorkflowRunsDeps {
  tmp: string;
  jobContext(run: WorkflowRun, workflow: WorkflowFile, dir: string): JobContext;
  onCompleted(run: WorkflowRun): Promise<void>;
  nextArtifactId(): number;
}

const iso = () => new Date().toISOString().replace(/\.\d+Z$/, "Z");

export function createWorkflowRuns(deps: WorkflowRunsDeps) {
  const runs = new Map<number, WorkflowRun>();
  const workflows = new Map<number, WorkflowFile>();
  const finished = new Set<Promise<void>>();
  let nextId = 90001;

  function inGroup(group: string, status: WorkflowRun["status"]) {
    return [...runs.values()].filter((r) => r.group === group && r.status === status);
  }

  async function complete(run: WorkflowRun, conclusion: NonNullable<WorkflowRun["conclusion"]>) {
    run.status = "completed";
    run.conclusion = conclusion;
    run.updatedAt = iso();
    for (const a of run.job?.artifacts?.artifacts.values() ?? []) {
      if (a.finalizeRequest) run.artifacts.push({ ...a, id: deps.nextArtifactId(), createdAt: iso() });
    }
    if (run.group) {
      const waiting = inGroup(run.group, "pending")[0];
      if (waiting) start(waiting);
    }
    await deps.onCompleted(run);
  }

  function track(p: Promise<void>) {
    finished.add(p);
    p.finally(() => finished.delete(p));
  }

  function start(run: WorkflowRun) {
    run.status = "in_progress";
    run.updatedAt = iso();
    track(
      (async () => {
        const dir = await mkdtemp(path.join(deps.tmp, `run-${run.id}-`));
        const job = startJob(deps.jobContext(run, workflows.get(run.id)!, dir));
        run.job = job;
        if (run.cancelledBy) job.cancel();
        const { conclusion } = await job.done;
        await complete(run, conclusion);
      })(),
    );
  }

  return {
    runs,
    dispatch(params: {
      workflow: WorkflowFile;
      workflowPath: string;
      ref: string;
      headSha: string;
      inputs: Record<string, string>;
    }): WorkflowRun {
      const contexts = {
        inputs: params.inputs,
        github: { ref: `refs/heads/${params.ref}`, sha: params.headSha, workflow: params.workflowPath },
      };
      const concurrency = params.workflow.concurrency ?? params.workflow.job.concurrency;
      const run: WorkflowRun = {
        id: nextId++,
        workflowPath: params.workflowPath,
        ref: params.ref,
        headSha: params.headSha,
        inputs: params.inputs,
        group: concurrency ? interpolate(concurrency.group, contexts) : null,
        status: "queued",
        conclusion: null,
        createdAt: iso(),
        updatedAt: iso(),
        job: null,
        cancelledBy: null,
        artifacts: [],
      };
      runs.set(run.id, run);
      workflows.set(run.id, params.workflow);
      if (!run.group || !concurrency) {
        start(run);
        return run;
      }
      const cancelInProgress = interpolate(concurrency.cancelInProgress, contexts) === "true";
      for (const waiting of inGroup(run.group, "pending"))
        cancel(waiting, `replaced by run ${run.id} in ${run.group}`);
      const running = inGroup(run.group, "in_progress");
      if (running.length === 0) {
        start(run);
        return run;
      }
      run.status = "pending";
      if (cancelInProgress)
        for (const r of running) cancel(r, `run ${run.id} in concurrency group ${run.group}`);
      return run;
    },
    cancel,
    /** Resolves once no run is waiting or running and every completion was delivered. */
    async settled(): Promise<void> {
      while (finished.size > 0) await Promise.allSettled([...finished]);
    },
  };

  function cancel(run: WorkflowRun, by: string): boolean {
    if (run.status === "completed") return false;
    run.cancelledBy ??= by;
    if (run.status === "in_progress") {
      run.job?.cancel();
      return true;
    }
    // Never started: nothing to signal, but it still completes, and the App still hears of it.
    track(complete(run, "cancelled"));
    return true;
  }
}

export type WorkflowRuns = ReturnType<typeof createWorkflowRuns>;
