import { loadConfigFile } from "../config/index.js";
import { createExecutor } from "../executor/create.js";
import { GUEST_SNAPSHOT } from "../executor/incus/devices.js";
import type { RunMeta } from "../run/records.js";
import { runLanes } from "../run/run-lanes.js";
import { createStateStore, newRunId } from "../store/index.js";
import { readEventPayload } from "./context.js";
import { sshParams } from "./credentials.js";
import type { EnginePort } from "./engine-port.js";
import type { ActionInputs } from "./inputs.js";
import { type NetworkEvent, networkRefusal } from "./network-policy.js";

/** Where a lane's command sees the workspace, so absolute paths in its output can be made relative. */
export const GUEST_ROOTS = [GUEST_SNAPSHOT];

export interface EngineParams {
  inputs: ActionInputs;
  workspace: string;
  stateRoot: string;
  meta: RunMeta;
  env: NodeJS.ProcessEnv;
  /** Shown in the log when the engine warns (e.g. a record write failed). */
  onWarning: (message: string) => void;
}

/** The real engine: config loader, state store under RUNNER_TEMP, local or Incus executor, runLanes. */
export async function createEngine(params: EngineParams): Promise<EnginePort> {
  const { inputs, workspace } = params;
  const store = createStateStore({ root: params.stateRoot });
  // No host: the local executor on the runner. A host: Incus over one pinned ssh2 connection.
  const refusal = networkRefusal(
    params.env.GITHUB_EVENT_NAME ?? "",
    (await readEventPayload(params.env.GITHUB_EVENT_PATH)) as NetworkEvent,
  );
  const { executor, close } = await createExecutor({
    ...sshParams(inputs, params.env),
    ...(refusal === undefined ? {} : { networkRefusal: refusal }),
    ...(inputs.image ? { image: inputs.image } : {}),
    ...(inputs["remote-work-dir"] ? { remoteWorkDir: inputs["remote-work-dir"] } : {}),
  });
  return {
    executorKind: executor.kind,
    loadConfig: async (file) => (await loadConfigFile(file)).config,
    newRunId: () => newRunId(),
    runLanes({ config, configPath, runId, laneIds, changedFiles, onEvent, signal }) {
      return runLanes({
        config,
        configPath,
        workspace,
        stateRoot: params.stateRoot,
        laneIds,
        changedFiles,
        executor,
        store,
        concurrency: inputs.concurrency,
        onEvent,
        onWarning: params.onWarning,
        signal,
        runId,
        meta: params.meta,
      });
    },
    runDir: (runId) => store.runDir(runId),
    close,
  };
}
