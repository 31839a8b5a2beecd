import { UsageError } from "../errors/index.js";
import { loadKnownHosts, loadSshKey } from "../ssh/credentials.js";
import { parseHostUrl } from "../ssh/host-url.js";
import type { Transport } from "../ssh/transport.js";
import type { Executor } from "./executor.js";

export interface CreateExecutorParams {
  /** `ssh://user@host:port`, `local`/`localhost` (Incus on this machine, no SSH), or absent (no Incus). */
  host?: string;
  /** Path to the private key; else PIKACI_SSH_KEY. */
  sshKey?: string;
  /** Path to a known_hosts file; else PIKACI_SSH_KNOWN_HOSTS. */
  knownHosts?: string;
  fingerprint?: string;
  acceptUnknownHostKey?: boolean;
  image?: string;
  remoteWorkDir?: string;
  incusProject?: string;
  runnerPath?: string;
  env?: NodeJS.ProcessEnv;
  /** pikaci's state directory (see IncusExecutorOptions.stateRoot); the local executor needs none. */
  stateRoot?: string;
  /** Why lanes may not have network (see IncusExecutorOptions.networkRefusal). */
  networkRefusal?: string;
}

/**
 * Pick the executor for a run: no host → the embedded local executor (nothing but Node needed);
 * `localhost` → Incus on this machine without SSH; `ssh://…` → Incus over one ssh2 connection.
 */
export async function createExecutor(
  params: CreateExecutorParams,
): Promise<{ executor: Executor; transport: Transport | null; close(): Promise<void> }> {
  const env = params.env ?? process.env;
  if (params.host === undefined || params.host === "") {
    const { createLocalExecutor } = await import("./local-executor.js");
    return { executor: createLocalExecutor({ env }), transport: null, close: async () => {} };
  }
  const transport = await connectTransport({ ...params, host: params.host, env });
  const { createIncusExecutor } = await import("./incus-executor.js");
  const executor = createIncusExecutor({
    transport,
    remoteWorkDir: params.remoteWorkDir,
    project: params.incusProject,
    runnerPath: params.runnerPath,
    image: params.image,
    ...(params.stateRoot === undefined ? {} : { stateRoot: params.stateRoot }),
    ...(params.networkRefusal === undefined ? {} : { networkRefusal: params.networkRefusal }),
  });
  return { executor, transport, close: () => transport.close() };
}

/** `localhost`/`local` → commands on this machine; `ssh://…` → one pinned ssh2 connection. */
export async function connectTransport(params: {
  host: string;
  sshKey?: string;
  knownHosts?: string;
  fingerprint?: string;
  acceptUnknownHostKey?: boolean;
  env?: NodeJS.ProcessEnv;
}): Promise<Transport> {
  const env = params.env ?? process.env;
  const target = parseHostUrl(params.host);
  if (target.kind === "local") {
    const { LocalTransport } = await import("../ssh/local-transport.js");
    return new LocalTransport();
  }
  const { connectSsh } = await import("../ssh/ssh-transport.js");
  const credentials = await loadSshKey({ keyPath: params.sshKey, env });
  const knownHosts = await loadKnownHosts({ knownHostsPath: params.knownHosts, env });
  const fingerprint = params.fingerprint ?? (env.PIKACI_SSH_HOST_FINGERPRINT || undefined);
  if (!knownHosts && !fingerprint && !params.acceptUnknownHostKey) {
    // Fail before dialing out: our own host-key check would refuse the connection anyway.
    throw new UsageError(`no pinned host key for ${target.description}`, {
      hint: `get the line with \`ssh-keyscan -p ${target.port} ${target.host}\`, check its fingerprint out of band, and pass it with --known-hosts FILE (or PIKACI_SSH_KNOWN_HOSTS / the ssh-known-hosts input)`,
    });
  }
  return connectSsh({
    url: params.host,
    privateKey: credentials.privateKey,
    passphrase: credentials.passphrase,
    knownHosts,
    fingerprint,
    acceptUnknownHostKey: params.acceptUnknownHostKey,
  });
}
