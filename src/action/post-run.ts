import * as core from "@actions/core";
import { describeError } from "../errors/index.js";
import { connectTransport } from "../executor/create.js";
import { removeRunInstances } from "../executor/incus/gc.js";
import { secretNeedles } from "../report/mask.js";
import { hostConnection } from "./credentials.js";
import { parseInputs } from "./inputs.js";
import { collectSecrets } from "./secrets.js";
import { STATE_FINISHED, STATE_RUN_ID } from "./state.js";

/**
 * The post step runs even when the main step crashed or was cancelled. The key only ever lived in
 * the main step's memory, so there is no key file to remove; what can be left behind is an Incus
 * instance of this run, which is deleted here. It never fails the job.
 */
export async function runPost(env: NodeJS.ProcessEnv = process.env): Promise<void> {
  try {
    const runId = core.getState(STATE_RUN_ID);
    if (!runId || core.getState(STATE_FINISHED) === "1") return;
    const inputs = parseInputs((name) => core.getInput(name));
    for (const secret of secretNeedles(collectSecrets(inputs))) core.setSecret(secret);
    const { host, credentials, incusProject } = hostConnection(inputs);
    if (!host) return;
    const transport = await connectTransport({ host, ...(credentials ? { credentials } : {}), env });
    try {
      await removeRunInstances({
        transport,
        ...(incusProject ? { project: incusProject } : {}),
        runId,
        onRemoved: (name) => core.info(`pikaci: removed leftover instance ${name} of run ${runId}`),
      });
    } finally {
      await transport.close();
    }
  } catch (error) {
    core.warning(`pikaci post step: ${describeError(error)}`);
  }
}
