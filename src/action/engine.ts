import { loadConfigFile } from "../config/index.js";
import { createExecutor } from "../executor/create.js";
import { GUEST_SNAPSHOT } from "../executor/incus/devices.js";
import { workspaceSnapshot } from "../run/prepare.js";
import type { RunMeta } from "../run/records.js";
import { runEngine } from "../run/run-engine.js";
import { createStateStore, newRunId, StoreLayout } from "../store/index.js";
import { readEventPayload } from "./context.js";
import { hostConnection } from "./credentials.js";
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
 * The real engine: config loader, state store under RUNNER_TEMP, local or Incus executor, and the
 * engine's one entry point. The build host is connected in the background: a job cancelled while
 * the connection is made need not wait for it (nothing runs until `run`), and a connection that
 * fails fails `run`, so the check runs are concluded with the reason.
 */
export function createEngine(params: EngineParams): EnginePort {
  const { inputs, workspace, stateRoot } = params;
  const store = createStateStore({ root: stateRoot });
  // The pool size is asked per job: the config that may set it is read only once the run starts.
  let configPool: number | undefined;
  const connecting = connect(params, () => inputs["warm-pool"] ?? configPool);
  connecting.catch(() => {});
  return {
    executorKind: inputs.host ? "incus" : "local",
    loadConfig: async (file) => (await loadConfigFile(file)).config,
    newRunId: () => newRunId(),
    layout: new StoreLayout(stateRoot),
    async run({ planned, config, onEvent, signal, meta }) {
      const { executor } = await connecting;
      configPool = config.defaults?.warm_pool;
      return runEngine({
        planned,
        snapshot: workspaceSnapshot({ workspace, stateRoot, config }),
        executor,
        store,
        options: {
          concurrency: inputs.concurrency,
          onEvent,
          onWarning: params.onWarning,
          signal,
          meta: { ...params.meta, ...meta },
        },
      });
    },
    async close() {
      const connected = await connecting.catch(() => undefined);
      await connected?.close();
    },
  };
}

/** No host: the local executor on the runner. A host: Incus over one pinned ssh2 connection. */
async function connect({ inputs, env, stateRoot }: EngineParams, warmPool: () => number | undefined) {
  // A fork's lanes get no network unless a maintainer approved them (then the App dispatched).
  const refusal = networkRefusal(
    env.GITHUB_EVENT_NAME ?? "",
    (await readEventPayload(env.GITHUB_EVENT_PATH)) as NetworkEvent,
  );
  return createExecutor({
    ...hostConnection(inputs),
    env,
    stateRoot,
    ...(refusal === undefined ? {} : { networkRefusal: refusal }),
    ...(inputs.image ? { image: inputs.image } : {}),
    ...(inputs["remote-work-dir"] ? { remoteWorkDir: inputs["remote-work-dir"] } : {}),
    warmPool,
  });
}
