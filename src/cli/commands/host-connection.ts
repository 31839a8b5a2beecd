import { UsageError } from "../../errors/index.js";
import { connectTransport } from "../../executor/create.js";
import type { Transport } from "../../transport/transport.js";

/** The parseArgs options of every command that reaches a build host (`gc`, `host check`). */
export const HOST_CONNECTION_OPTIONS = {
  host: { type: "string" },
  "ssh-key": { type: "string" },
  "known-hosts": { type: "string" },
  "host-key-fingerprint": { type: "string" },
} as const;

type HostConnectionValues = Partial<Record<keyof typeof HOST_CONNECTION_OPTIONS, string>>;

/** `--host` is required here: these commands act on a build host, never on the local executor. */
export function connectToHost(
  command: string,
  values: HostConnectionValues,
  env: NodeJS.ProcessEnv,
): Promise<Transport> {
  if (!values.host) {
    throw new UsageError(`pikaci ${command}: --host is required`, {
      hint: "pass --host ssh://user@host:port (or --host localhost)",
    });
  }
  return connectTransport({
    host: values.host,
    sshKey: values["ssh-key"],
    knownHosts: values["known-hosts"],
    fingerprint: values["host-key-fingerprint"],
    env,
  });
}
