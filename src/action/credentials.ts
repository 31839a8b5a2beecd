import type { InlineCredentials } from "../executor/create.js";
import { type HostSpec, parseHostSpec } from "../placement/host-spec.js";
import type { ActionInputs } from "./inputs.js";

/**
 * The build hosts' connection from the action's inputs, as typed parameters: the key stays in
 * memory, never touches the runner's disk and never enters an environment (so no child process
 * inherits it), and no PIKACI_SSH_* variable of the runner is consulted. `host` is one host;
 * `hosts` several (each may set its capacity, labels and project).
 */
export function hostConnection(inputs: ActionInputs): {
  hosts: HostSpec[];
  credentials?: InlineCredentials;
  incusProject?: string;
} {
  const knownHosts = inputs["ssh-known-hosts"]?.trim();
  const fingerprint = knownHosts?.startsWith("SHA256:") ? knownHosts : undefined;
  const credentials: InlineCredentials = {
    privateKey: inputs["ssh-key"] ?? "",
    ...(fingerprint ? { fingerprint } : knownHosts ? { knownHosts: `${knownHosts}\n` } : {}),
  };
  return {
    hosts: inputs.hosts ?? (inputs.host ? [parseHostSpec(inputs.host)] : []),
    ...(inputs["ssh-key"] ? { credentials } : {}),
    ...(inputs["incus-project"] ? { incusProject: inputs["incus-project"] } : {}),
  };
}
