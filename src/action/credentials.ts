import type { ActionInputs } from "./inputs.js";

/**
 * The build host's credentials as the executor's environment, in memory only: the key never
 * touches the runner's disk and never enters `process.env` (so no child process inherits it).
 */
export function sshParams(inputs: ActionInputs, env: NodeJS.ProcessEnv) {
  const knownHosts = inputs["ssh-known-hosts"]?.trim();
  const fingerprint = knownHosts?.startsWith("SHA256:") ? knownHosts : undefined;
  const credentialEnv: NodeJS.ProcessEnv = { ...env, PIKACI_SSH_KEY: inputs["ssh-key"] ?? "" };
  delete credentialEnv.PIKACI_SSH_KNOWN_HOSTS;
  delete credentialEnv.PIKACI_SSH_HOST_FINGERPRINT;
  if (knownHosts && !fingerprint) credentialEnv.PIKACI_SSH_KNOWN_HOSTS = `${knownHosts}\n`;
  return {
    host: inputs.host,
    ...(fingerprint ? { fingerprint } : {}),
    ...(inputs["incus-project"] ? { incusProject: inputs["incus-project"] } : {}),
    env: credentialEnv,
  };
}
