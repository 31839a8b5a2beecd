import { InfrastructureError } from "../errors/index.js";
import { knownHostsName } from "./host-key.js";

/**
 * Turn what ssh2 reports while connecting into an error a person can act on. Each case names the fix.
 * Messages never include key material: only the error code or ssh2's own short description.
 */
export interface ConnectTarget {
  user: string;
  host: string;
  port: number;
}

const UNREACHABLE_CODES = new Set([
  "ECONNREFUSED",
  "ETIMEDOUT",
  "ENOTFOUND",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "EAI_AGAIN",
  "ECONNRESET",
  "EPIPE",
]);

export function unreachableError(
  target: ConnectTarget,
  reason: string,
  cause?: unknown,
): InfrastructureError {
  return new InfrastructureError(`build host ${target.host}:${target.port} unreachable: ${reason}`, {
    hint: `check that sshd runs on ${target.host} port ${target.port}, that the --host URL is right and no firewall blocks it`,
    cause,
  });
}

export function authFailedError(target: ConnectTarget): InfrastructureError {
  return new InfrastructureError(
    `authentication failed for ${target.user}@${target.host}:${target.port} — check the ssh key / authorized_keys`,
    {
      hint: `add the public half of the key given by --ssh-key (or PIKACI_SSH_KEY) to ~${target.user}/.ssh/authorized_keys on the build host`,
    },
  );
}

export function hostKeyMismatchError(target: ConnectTarget, presented: string): InfrastructureError {
  return new InfrastructureError(
    `host key for ${knownHostsName(target.host, target.port)} does not match the pinned key (it presented ${presented}; possible MITM) — update ssh-known-hosts if the host was reinstalled`,
    {
      hint: `verify the new key out of band (ssh-keyscan -p ${target.port} ${target.host} | ssh-keygen -lf -), then replace the line in --known-hosts / the ssh-known-hosts input`,
    },
  );
}

export function hostKeyNotPinnedError(target: ConnectTarget, presented: string | null): InfrastructureError {
  const seen = presented ? ` (it presented ${presented})` : "";
  return new InfrastructureError(
    `no pinned host key for ${knownHostsName(target.host, target.port)}${seen}; pikaci does not trust unknown hosts`,
    {
      hint: `get the line with \`ssh-keyscan -p ${target.port} ${target.host}\`, check its fingerprint out of band, and pass it with --known-hosts FILE (or the ssh-known-hosts input / a SHA256: fingerprint); --accept-unknown-host-key trusts it blindly`,
    },
  );
}

/** Classify an ssh2 connect error (not host-key problems: the verifier records those itself). */
export function classifyConnectError(target: ConnectTarget, error: unknown): InfrastructureError {
  const err = error as { code?: string; level?: string; message?: string };
  if (err.level === "client-authentication") return authFailedError(target);
  if (err.code && UNREACHABLE_CODES.has(err.code)) return unreachableError(target, err.code, error);
  if (err.level === "client-timeout")
    return unreachableError(target, "timed out waiting for the SSH handshake");
  if (err.level === "client-dns") return unreachableError(target, `cannot resolve ${target.host}`);
  return new InfrastructureError(
    `ssh connection to ${target.host}:${target.port} failed: ${err.message ?? String(error)}`,
    {
      hint: "check the build host's sshd logs (journalctl -u ssh) and the --host URL",
      cause: error,
    },
  );
}
