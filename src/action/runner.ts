import path from "node:path";
import * as core from "@actions/core";
import { describeError } from "../errors/index.js";
import { secretNeedles } from "../report/mask.js";
import { gitMeta } from "../run/git-meta.js";
import { type ArtifactPort, defaultArtifactPort } from "./artifacts.js";
import { type ActionContext, actionContext, readEventPayload } from "./context.js";
import { createEngine, GUEST_ROOTS } from "./engine.js";
import type { EnginePort } from "./engine-port.js";
import { type ActionInputs, parseInputs } from "./inputs.js";
import { main } from "./main.js";
import { createOctokit, octokitChecks, pullRequestFiles } from "./octokit-checks.js";
import { collectSecrets } from "./secrets.js";
import { STATE_FINISHED, STATE_HOSTS, STATE_RUN_ID } from "./state.js";

/**
 * The action's imperative shell: read inputs and the environment, build the real ports, call
 * `main`, write outputs. Every error ends here as `setFailed` with the fix; nothing is thrown.
 */
export async function run(env: NodeJS.ProcessEnv = process.env): Promise<void> {
  const abort = new AbortController();
  const onSignal = () => abort.abort();
  process.once("SIGINT", onSignal);
  process.once("SIGTERM", onSignal);
  try {
    const inputs = parseInputs((name) => core.getInput(name));
    // Each line of the key too: the runner masks what it is told, and tools print keys line by line.
    for (const secret of secretNeedles(collectSecrets(inputs))) core.setSecret(secret);
    const context = actionContext(env, await readEventPayload(env.GITHUB_EVENT_PATH));
    const engine = createEngine({
      inputs,
      workspace: context.workspace,
      stateRoot: env.PIKACI_STATE_ROOT ?? path.join(context.runnerTemp, "pikaci"),
      // The commit and pull request are resolved (and checked) by `main`.
      meta: {
        repository: `${context.owner}/${context.repo}`,
        ...(context.runUrl ? { workflow_run_url: context.runUrl } : {}),
        host: inputs.host ?? (inputs.hosts?.map((h) => h.url).join(", ") || "local"),
      },
      env,
      onWarning: (m) => core.warning(m),
      // Before any of them is connected: the post step sweeps these if this step is killed.
      onHosts: (hosts) =>
        core.saveState(STATE_HOSTS, JSON.stringify(hosts.map(({ url, project }) => ({ url, project })))),
    });
    try {
      await runMain({ env, inputs, context, engine, signal: abort.signal });
    } finally {
      // After a cancel the engine may still be deleting instances over SSH: that must not hold the
      // step past GitHub's window. The post step (or `pikaci gc`) removes what is left.
      if (abort.signal.aborted) await Promise.race([engine.close(), sleep(CLOSE_AFTER_CANCEL_MS)]);
      else await engine.close();
    }
    // The executor removed its instances; the post step only sweeps after a crash or cancel.
    if (!abort.signal.aborted) core.saveState(STATE_FINISHED, "1");
  } catch (error) {
    core.setFailed(describeError(error));
  } finally {
    process.off("SIGINT", onSignal);
    process.off("SIGTERM", onSignal);
  }
  // Background clean-up would keep the process alive until SIGKILL; the record is already out.
  if (abort.signal.aborted) process.exit();
}

/** The real ports around `main`, and its result as the step's outputs. */
async function runMain(p: {
  env: NodeJS.ProcessEnv;
  inputs: ActionInputs;
  context: ActionContext;
  engine: EnginePort;
  signal: AbortSignal;
}): Promise<void> {
  const { env, inputs, context } = p;
  const octokit = createOctokit({ token: inputs.token, baseUrl: context.apiUrl });
  const target = { owner: context.owner, repo: context.repo };
  // Loaded while main reads the check runs and the config; awaited only to upload.
  const artifactPort = defaultArtifactPort();
  artifactPort.catch(() => {});
  const artifacts: ArtifactPort = { upload: async (u) => (await artifactPort).upload(u) };
  // Saved before anything runs, so the post step can clean up after a crash or a cancel.
  const runId = inputs["run-id"] ?? p.engine.newRunId();
  core.saveState(STATE_RUN_ID, runId);
  const pr = context.pullRequest;
  const result = await main({
    inputs: { ...inputs, "run-id": runId },
    context,
    engine: p.engine,
    checks: octokitChecks(octokit, target),
    artifacts,
    log: { info: core.info, warning: core.warning, error: core.error },
    writeSummary: async (markdown) => {
      if (env.GITHUB_STEP_SUMMARY) await core.summary.addRaw(markdown).write();
    },
    ...(pr
      ? {
          changedFiles: () =>
            pullRequestFiles(octokit, target, { number: pr, changedFiles: context.pullRequestChangedFiles }),
        }
      : {}),
    readCheckout: () => gitMeta(context.workspace),
    secrets: collectSecrets(inputs),
    signal: p.signal,
    guestRoots: GUEST_ROOTS,
    ...(env.PIKACI_CHECK_INTERVAL_MS ? { intervalMs: Number(env.PIKACI_CHECK_INTERVAL_MS) } : {}),
  });
  writeOutputs(result);
}

function writeOutputs(result: Awaited<ReturnType<typeof main>>): void {
  core.setOutput("run-id", result.runId);
  core.setOutput("conclusion", result.conclusion);
  core.setOutput("run-json", result.runJsonPath ?? "");
  if (result.conclusion === "success") return;
  const lanes = result.failedLanes.length > 0 ? `: ${result.failedLanes.join(", ")}` : "";
  core.setFailed(
    `pikaci run ${result.runId} ${result.conclusion === "cancelled" ? "was cancelled" : "failed"}${lanes}`,
  );
}

/** How long a cancelled run waits for the engine's connection to close before it exits. */
const CLOSE_AFTER_CANCEL_MS = 200;

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms).unref());
