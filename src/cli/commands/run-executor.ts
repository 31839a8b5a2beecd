import { UsageError } from "../../errors/index.js";
import { createExecutor } from "../../executor/create.js";
import type { Executor } from "../../executor/executor.js";
import { type HostSpec, hostSpecFromConfig, parseHostSpec } from "../../placement/host-spec.js";
import type { HostConfig } from "../../schema/index.js";

export interface ExecutorFlags {
  /** `--host`, repeatable; each may carry ?capacity=N&labels=a,b&project=NAME. */
  host?: string[];
  sshKey?: string;
  knownHosts?: string[];
  fingerprint?: string;
  image?: string;
  remoteWorkDir?: string;
  incusProject?: string;
  warmPool?: number;
}

const REMOTE_FLAGS: Record<Exclude<keyof ExecutorFlags, "host">, string> = {
  sshKey: "--ssh-key",
  knownHosts: "--known-hosts",
  fingerprint: "--host-key-fingerprint",
  image: "--image",
  remoteWorkDir: "--remote-work-dir",
  incusProject: "--incus-project",
  warmPool: "--warm-pool",
};

/** The run's build hosts: `--host` flags win over the config's `hosts:`; none: the local executor. */
export function hostSpecs(
  flags: Pick<ExecutorFlags, "host">,
  configHosts: readonly HostConfig[] | undefined,
) {
  if (flags.host && flags.host.length > 0) return flags.host.map(parseHostSpec);
  return (configHosts ?? []).map(hostSpecFromConfig);
}

/** No host: the embedded local executor. Hosts: Incus executors (over SSH, or on this machine for `localhost`). */
export async function openExecutor(
  flags: ExecutorFlags,
  context: { hosts: HostSpec[]; concurrency: number; env: NodeJS.ProcessEnv; stateRoot?: string },
): Promise<{ executor: Executor; description: string; close: () => Promise<void> }> {
  if (context.hosts.length === 0) {
    const remoteOnly = Object.entries(REMOTE_FLAGS)
      .filter(([key]) => flags[key as keyof ExecutorFlags] !== undefined)
      .map(([, flag]) => flag);
    if (remoteOnly.length > 0) {
      throw new UsageError(`pikaci run: ${remoteOnly.join(", ")} only apply with --host`, {
        hint: "pass --host ssh://user@host:port (or list `hosts:` in the config), or drop the remote options to run locally",
      });
    }
  }
  const opened = await createExecutor({
    hosts: context.hosts,
    defaultCapacity: context.concurrency,
    sshKey: flags.sshKey,
    ...(flags.knownHosts === undefined ? {} : { knownHosts: flags.knownHosts }),
    fingerprint: flags.fingerprint,
    image: flags.image,
    remoteWorkDir: flags.remoteWorkDir,
    incusProject: flags.incusProject,
    ...(flags.warmPool === undefined ? {} : { warmPool: flags.warmPool }),
    env: context.env,
    stateRoot: context.stateRoot,
  });
  return { executor: opened.executor, description: opened.description, close: () => opened.close() };
}
