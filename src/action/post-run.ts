import * as core from "@actions/core";
import { describeError } from "../errors/index.js";
import { connectTransport, type InlineCredentials } from "../executor/create.js";
import { removeRunInstances } from "../executor/incus/gc.js";
import { secretNeedles } from "../report/mask.js";
import { hostConnection } from "./credentials.js";
import { parseInputs } from "./inputs.js";
import { collectSecrets } from "./secrets.js";
import { SavedHosts, STATE_FINISHED, STATE_HOSTS, STATE_RUN_ID } from "./state.js";

/**
 * The post step runs even when the main step crashed or was cancelled. The key only ever lived in
 * the main step's memory, so there is no key file to remove; what can be left behind is an Incus
 * instance of this run, which is deleted here, on every host the main step named before it ended
 * (the config's `hosts:` too). It never fails the job.
 */
export async function runPost(env: NodeJS.ProcessEnv = process.env): Promise<void> {
  try {
    const runId = core.getState(STATE_RUN_ID);
    if (!runId || core.getState(STATE_FINISHED) === "1") return;
    const inputs = parseInputs((name) => core.getInput(name));
    for (const secret of secretNeedles(collectSecrets(inputs))) core.setSecret(secret);
    const connection = hostConnection(inputs);
    const { credentials, incusProject } = connection;
    const hosts = savedHosts() ?? connection.hosts;
    // Each host on its own: one that is down must not keep the others' leftovers.
    await Promise.all(
      hosts.map((spec) =>
        removeOnHost({ url: spec.url, project: spec.project ?? incusProject, credentials, runId, env }).catch(
          (error: unknown) => core.warning(`pikaci post step: ${spec.url}: ${describeError(error)}`),
        ),
      ),
    );
  } catch (error) {
    core.warning(`pikaci post step: ${describeError(error)}`);
  }
}

/** The hosts the main step saved (the config's `hosts:` included); null from an older main step. */
function savedHosts(): SavedHosts | null {
  const text = core.getState(STATE_HOSTS);
  if (!text) return null;
  try {
    return SavedHosts.parse(JSON.parse(text));
  } catch {
    return null;
  }
}

async function removeOnHost(p: {
  url: string;
  project: string | undefined;
  credentials: InlineCredentials | undefined;
  runId: string;
  env: NodeJS.ProcessEnv;
}): Promise<void> {
  const transport = await connectTransport({
    host: p.url,
    ...(p.credentials ? { credentials: p.credentials } : {}),
    env: p.env,
  });
  try {
    await removeRunInstances({
      transport,
      ...(p.project ? { project: p.project } : {}),
      runId: p.runId,
      onRemoved: (name) =>
        core.info(`pikaci: removed leftover instance ${name} of run ${p.runId} on ${p.url}`),
    });
  } finally {
    await transport.close();
  }
}
