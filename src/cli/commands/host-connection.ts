import { CancelledError, UsageError } from "../../errors/index.js";
import { connectTransport } from "../../executor/create.js";
import { type HostSpec, parseHostSpec } from "../../placement/host-spec.js";
import type { Transport } from "../../transport/transport.js";

/** The parseArgs options of every command that reaches build hosts (`gc`, `host check`). */
export const HOST_CONNECTION_OPTIONS = {
  host: { type: "string", multiple: true },
  "ssh-key": { type: "string" },
  "known-hosts": { type: "string", multiple: true },
  "host-key-fingerprint": { type: "string" },
} as const;

export interface HostConnectionValues {
  host?: string[];
  "ssh-key"?: string;
  "known-hosts"?: string[];
  "host-key-fingerprint"?: string;
}

/**
 * The hosts to act on: each `--host` (a run's host URL, `?project=` and all; capacity and labels
 * mean nothing here), else `fallback` (the config's `hosts:`). One is required: these commands act
 * on build hosts, never on the local executor.
 */
export function hostsToVisit(
  command: string,
  values: HostConnectionValues,
  fallback: HostSpec[] = [],
): HostSpec[] {
  const hosts = values.host?.length ? values.host.map(parseHostSpec) : fallback;
  if (hosts.length === 0) {
    throw new UsageError(`pikaci ${command}: --host is required`, {
      hint: "pass --host ssh://user@host:port (or --host localhost); repeat it for several hosts",
    });
  }
  return hosts;
}

export function connectToHost(
  url: string,
  values: HostConnectionValues,
  env: NodeJS.ProcessEnv,
): Promise<Transport> {
  return connectTransport({
    host: url,
    sshKey: values["ssh-key"],
    ...(values["known-hosts"]?.length ? { knownHosts: values["known-hosts"] } : {}),
    fingerprint: values["host-key-fingerprint"],
    env,
  });
}

/** What acting on one host gave: its result, or the error that stopped it there. */
export type HostVisit<T> = { host: HostSpec; result: T } | { host: HostSpec; error: unknown };

/**
 * Acts on each host in turn, each over its own connection. With one host an error ends the
 * command as before; with several, a host that fails is recorded and the others still get their
 * turn, so one unreachable host never hides the state of the rest.
 */
export async function visitHosts<T>(params: {
  hosts: HostSpec[];
  values: HostConnectionValues;
  env: NodeJS.ProcessEnv;
  visit: (transport: Transport, host: HostSpec) => Promise<T>;
}): Promise<HostVisit<T>[]> {
  const visits: HostVisit<T>[] = [];
  for (const host of params.hosts) {
    try {
      const transport = await connectToHost(host.url, params.values, params.env);
      try {
        visits.push({ host, result: await params.visit(transport, host) });
      } finally {
        await transport.close();
      }
    } catch (error) {
      if (params.hosts.length === 1 || error instanceof CancelledError) throw error;
      visits.push({ host, error });
    }
  }
  return visits;
}
