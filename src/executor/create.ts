import { UsageError } from "../errors/index.js";
import { checkDistinct, type HostSpec, parseHostSpec } from "../placement/host-spec.js";
import { loadKnownHosts, loadSshKey } from "../ssh/credentials.js";
import { parseHostUrl } from "../transport/host-url.js";
import type { Transport } from "../transport/transport.js";
import type { Executor } from "./executor.js";

/** The build host's key and pinned host key, held in memory (the Action's inputs): used as given. */
export interface InlineCredentials {
  privateKey: string;
  /** known_hosts line(s); or pin by `fingerprint`. */
  knownHosts?: string;
  fingerprint?: string;
}

export interface CreateExecutorParams {
  /** `ssh://user@host:port`, `localhost` (Incus on this machine, no SSH), or absent (no Incus). */
  host?: string;
  /** Several build hosts (or one with capacity/labels/project); wins over `host`. */
  hosts?: readonly HostSpec[];
  /** A host's capacity when it sets none: the run's concurrency (default 4). */
  defaultCapacity?: number;
  /** Path to the private key; else PIKACI_SSH_KEY. */
  sshKey?: string;
  /** In-memory credentials instead of `sshKey`/`knownHosts`/`fingerprint` and their variables. */
  credentials?: InlineCredentials;
  /** Path(s) to known_hosts files (one per host, or one with every host's line); else PIKACI_SSH_KNOWN_HOSTS. */
  knownHosts?: string | readonly string[];
  fingerprint?: string;
  acceptUnknownHostKey?: boolean;
  image?: string;
  remoteWorkDir?: string;
  incusProject?: string;
  runnerPath?: string;
  /** Running instances to keep per image (`defaults.warm_pool`, `--warm-pool`); see IncusExecutorOptions. */
  warmPool?: number | (() => number | undefined);
  env?: NodeJS.ProcessEnv;
  /** pikaci's state directory (see IncusExecutorOptions.stateRoot); the local executor needs none. */
  stateRoot?: string;
  /** Why lanes may not have network (see IncusExecutorOptions.networkRefusal). */
  networkRefusal?: string;
}

/**
 * Pick the executor for a run: no host → the embedded local executor (nothing but Node needed);
 * hosts → one Incus executor per host (`localhost`: this machine without SSH; `ssh://…`: one ssh2
 * connection each), composed so each lane is placed on the matching host with the most free capacity.
 */
export async function createExecutor(
  params: CreateExecutorParams,
): Promise<{ executor: Executor; description: string; close(): Promise<void> }> {
  const env = params.env ?? process.env;
  const specs = params.hosts ?? (params.host ? [parseHostSpec(params.host)] : []);
  if (specs.length === 0) {
    const { createLocalExecutor } = await import("./local-executor.js");
    return { executor: createLocalExecutor({ env }), description: "local", close: async () => {} };
  }
  checkDistinct(specs);
  const [{ openHosts }, { createMultiHostExecutor }, { createIncusExecutor }] = await Promise.all([
    import("./multi-host/members.js"),
    import("./multi-host/multi-host-executor.js"),
    import("./incus-executor.js"),
  ]);
  const members = await openHosts({
    specs,
    defaultCapacity: params.defaultCapacity ?? 4,
    ...(params.incusProject ? { defaultProject: params.incusProject } : {}),
    connect: (url) => connectTransport({ ...params, host: url, env }),
    executorFor: (transport, project) =>
      createIncusExecutor({
        transport,
        remoteWorkDir: params.remoteWorkDir,
        project,
        runnerPath: params.runnerPath,
        image: params.image,
        ...(params.warmPool === undefined ? {} : { warmPool: params.warmPool }),
        ...(params.stateRoot === undefined ? {} : { stateRoot: params.stateRoot }),
        ...(params.networkRefusal === undefined ? {} : { networkRefusal: params.networkRefusal }),
      }),
  });
  const executor = createMultiHostExecutor({ members });
  // The deletes and pool top-ups that followed the verdicts finish before the connections close.
  // run.json's `host`: where lanes may run, as before (projects and states are in its `hosts`).
  const description = [...new Set(specs.map((spec) => parseHostUrl(spec.url).description))].join(", ");
  return { executor, description, close: () => executor.close() };
}

/** `localhost` → commands on this machine; `ssh://…` → one pinned ssh2 connection. */
export async function connectTransport(params: {
  host: string;
  credentials?: InlineCredentials;
  sshKey?: string;
  knownHosts?: string | readonly string[];
  fingerprint?: string;
  acceptUnknownHostKey?: boolean;
  env?: NodeJS.ProcessEnv;
}): Promise<Transport> {
  const env = params.env ?? process.env;
  const target = parseHostUrl(params.host);
  if (target.kind === "localhost") {
    const { LocalhostTransport } = await import("../transport/localhost.js");
    return new LocalhostTransport();
  }
  const { connectSsh } = await import("../ssh/ssh-transport.js");
  const { privateKey, passphrase, knownHosts, fingerprint } = params.credentials
    ? { ...params.credentials, passphrase: undefined }
    : await loadCredentials(params, env);
  if (!knownHosts && !fingerprint && !params.acceptUnknownHostKey) {
    // Fail before dialing out: our own host-key check would refuse the connection anyway.
    throw new UsageError(`no pinned host key for ${target.description}`, {
      hint: `get the line with \`ssh-keyscan -p ${target.port} ${target.host}\`, check its fingerprint out of band, and pass it with --known-hosts FILE (or PIKACI_SSH_KNOWN_HOSTS / the ssh-known-hosts input)`,
    });
  }
  return connectSsh({
    url: params.host,
    privateKey,
    passphrase,
    knownHosts,
    fingerprint,
    acceptUnknownHostKey: params.acceptUnknownHostKey,
  });
}

/** The CLI's credentials: key and known_hosts from files, else from PIKACI_SSH_* variables. */
async function loadCredentials(
  params: { sshKey?: string; knownHosts?: string | readonly string[]; fingerprint?: string },
  env: NodeJS.ProcessEnv,
) {
  const key = await loadSshKey({ keyPath: params.sshKey, env });
  return {
    privateKey: key.privateKey,
    passphrase: key.passphrase,
    knownHosts: await loadKnownHosts({ knownHostsPath: params.knownHosts, env }),
    fingerprint: params.fingerprint ?? (env.PIKACI_SSH_HOST_FINGERPRINT || undefined),
  };
}
