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

/**
 * The real engine: config loader, state store under RUNNER_TEMP, local or Incus executor, runLanes.
 * The build host is connected in the background: a job cancelled while the connection is made
 * need not wait for it (nothing runs until `runLanes`), and a connection that fails is reported by
 * `runLanes`, so the check runs are concluded with the reason.
 */
export function createEngine(params: EngineParams): EnginePort {
  const { inputs, workspace } = params;
  const store = createStateStore({ root: params.stateRoot });
  // No host: the local executor on the runner. A host: Incus over one pinned ssh2 connection.
  const connecting = (async () => {
    // A fork's lanes get no network unless a maintainer approved them (then the App dispatched).
    const refusal = networkRefusal(
      params.env.GITHUB_EVENT_NAME ?? "",
      (await readEventPayload(params.env.GITHUB_EVENT_PATH)) as NetworkEvent,
    );
    return createExecutor({
      ...sshParams(inputs, params.env),
      stateRoot: params.stateRoot,
      ...(refusal === undefined ? {} : { networkRefusal: refusal }),
      ...(inputs.image ? { image: inputs.image } : {}),
      ...(inputs["remote-work-dir"] ? { remoteWorkDir: inputs["remote-work-dir"] } : {}),
    });
  })();
  connecting.catch(() => {});
  return {
    executorKind: inputs.host ? "incus" : "local",
    loadConfig: async (file) => (await loadConfigFile(file)).config,
    newRunId: () => newRunId(),
    async runLanes({ config, configPath, runId, laneIds, changedFiles, onEvent, signal, meta }) {
      const { executor } = await connecting;
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
        meta: { ...params.meta, ...meta },
      });
    },
    runDir: (runId) => store.runDir(runId),
    async close() {
      const connected = await connecting.catch(() => undefined);
      await connected?.close();
    },
  };
}
