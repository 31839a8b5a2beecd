import { UsageError } from "../../errors/index.js";
import { createExecutor } from "../../executor/create.js";
import type { Executor } from "../../executor/executor.js";

export interface ExecutorFlags {
  host?: string;
  sshKey?: string;
  knownHosts?: string;
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

/** No host: the embedded local executor. A host: the Incus executor (over SSH, or on this machine for `localhost`). */
export async function openExecutor(
  flags: ExecutorFlags,
  env: NodeJS.ProcessEnv,
  stateRoot?: string,
): Promise<{ executor: Executor; description: string; close: () => Promise<void> }> {
  if (!flags.host) {
    const remoteOnly = Object.entries(REMOTE_FLAGS)
      .filter(([key]) => flags[key as keyof ExecutorFlags] !== undefined)
      .map(([, flag]) => flag);
    if (remoteOnly.length > 0) {
      throw new UsageError(`pikaci run: ${remoteOnly.join(", ")} only apply with --host`, {
        hint: "pass --host ssh://user@host:port, or drop the remote options to run locally",
      });
    }
  }
  const opened = await createExecutor({
    host: flags.host,
    sshKey: flags.sshKey,
    knownHosts: flags.knownHosts,
    fingerprint: flags.fingerprint,
    image: flags.image,
    remoteWorkDir: flags.remoteWorkDir,
    incusProject: flags.incusProject,
    ...(flags.warmPool === undefined ? {} : { warmPool: flags.warmPool }),
    env,
    stateRoot,
  });
  return {
    executor: opened.executor,
    description: opened.transport?.description ?? "local",
    close: () => opened.close(),
  };
}
