import { loadConfigFile } from "../config/index.js";
import { UsageError } from "../errors/index.js";
import { createExecutor } from "../executor/create.js";
import { GUEST_SNAPSHOT } from "../executor/incus/devices.js";
import { type HostSpec, hostSpecFromConfig } from "../placement/host-spec.js";
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
  /** The build hosts, once known (inputs at once, config's `hosts:` when the run starts). */
  onHosts?: (hosts: HostSpec[]) => void;
}

/**
 * The real engine: config loader, state store under RUNNER_TEMP, local or Incus executor(s), and
 * the engine's one entry point. Build hosts named by the inputs are connected in the background: a
 * job cancelled while the connections are made need not wait for them (nothing runs until `run`),
 * and a failure fails `run`, so the check runs are concluded with the reason. Hosts named only by
 * the config's `hosts:` are connected once it is read.
 */
export function createEngine(params: EngineParams): EnginePort {
  const { inputs, workspace, stateRoot } = params;
  const store = createStateStore({ root: stateRoot });
  const connection = hostConnection(inputs);
  // The pool size is asked per job: the config that may set it is read only once the run starts.
  let configPool: number | undefined;
  let configHosts: HostSpec[] = [];
  const open = (hosts: HostSpec[]) => {
    if (hosts.length > 0) params.onHosts?.(hosts);
    return connect(params, { ...connection, hosts }, () => inputs["warm-pool"] ?? configPool);
  };
  let connecting = connection.hosts.length > 0 ? open(connection.hosts) : null;
  connecting?.catch(() => {});
  return {
    get executorKind() {
      return connection.hosts.length > 0 || configHosts.length > 0 ? "incus" : "local";
    },
    async loadConfig(file) {
      const { config } = await loadConfigFile(file);
      configHosts = (config.hosts ?? []).map(hostSpecFromConfig);
      return config;
    },
    newRunId: () => newRunId(),
    layout: new StoreLayout(stateRoot),
    async run({ planned, config, onEvent, signal, meta }) {
      connecting ??= open(connection.hosts.length > 0 ? connection.hosts : configHosts);
      const { executor, description } = await connecting;
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
          meta: { ...params.meta, host: description, ...meta },
        },
      });
    },
    async close() {
      const connected = await connecting?.catch(() => undefined);
      await connected?.close();
    },
  };
}

/** No host: the local executor on the runner. Hosts: Incus over one pinned ssh2 connection each. */
async function connect(
  { inputs, env, stateRoot }: EngineParams,
  connection: ReturnType<typeof hostConnection>,
  warmPool: () => number | undefined,
) {
  if (connection.hosts.length > 0 && !connection.credentials) {
    throw new UsageError("the config's `hosts:` needs the build hosts' key", {
      hint: "pass the `ssh-key` and `ssh-known-hosts` inputs (or set `host`/`hosts`)",
    });
  }
  // A fork's lanes get no network unless a maintainer approved them (then the App dispatched).
  const refusal = networkRefusal(
    env.GITHUB_EVENT_NAME ?? "",
    (await readEventPayload(env.GITHUB_EVENT_PATH)) as NetworkEvent,
  );
  return createExecutor({
    ...connection,
    defaultCapacity: inputs.concurrency,
    env,
    stateRoot,
    ...(refusal === undefined ? {} : { networkRefusal: refusal }),
    ...(inputs.image ? { image: inputs.image } : {}),
    ...(inputs["remote-work-dir"] ? { remoteWorkDir: inputs["remote-work-dir"] } : {}),
    warmPool,
  });
}
