import { UsageError } from "../errors/index.js";

/**
 * Where a build host is: parsed from `ssh://user@host:port`, or `localhost` (Incus on this machine,
 * reached without SSH). Not to be confused with the local executor, which has no build host at all.
 */
export type HostTarget =
  | { kind: "localhost"; description: "localhost" }
  | { kind: "ssh"; user: string; host: string; port: number; description: string };

const HOST_URL_HINT =
  "write the build host as ssh://user@host:port (e.g. ssh://root@10.0.0.5:22), or `localhost` for Incus on this machine";
const USER_PATTERN = /^[A-Za-z0-9_][A-Za-z0-9._-]*$/;
const HOSTNAME_PATTERN = /^[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?$/;
const IPV6_PATTERN = /^[0-9A-Fa-f:.]+$/;

/**
 * Parse a build-host URL. `localhost` means "Incus on this machine, no SSH" (`local` is accepted as an
 * older spelling, and recorded as `localhost` too); anything else must be a
 * complete `ssh://user@host[:port]` with no password and no path, because a password in a URL would
 * end up in records and logs.
 */
export function parseHostUrl(value: string): HostTarget {
  const text = value.trim();
  if (text === "localhost" || text === "local") return { kind: "localhost", description: "localhost" };
  if (!text.startsWith("ssh://")) {
    throw new UsageError(`build host '${text}' is not an ssh:// URL`, { hint: HOST_URL_HINT });
  }
  const rest = text.slice("ssh://".length).replace(/\/$/, "");
  const at = rest.lastIndexOf("@");
  if (at <= 0) {
    throw new UsageError(`build host '${text}' has no user`, { hint: HOST_URL_HINT });
  }
  const user = decodeURIComponent(rest.slice(0, at));
  if (user.includes(":")) {
    throw new UsageError("build host URL must not contain a password", {
      hint: "remove the ':password' part; pikaci authenticates with an ssh key (--ssh-key or PIKACI_SSH_KEY)",
    });
  }
  if (!USER_PATTERN.test(user)) {
    throw new UsageError(`build host user '${user}' is not a valid user name`, { hint: HOST_URL_HINT });
  }
  const { host, port } = splitHostPort(rest.slice(at + 1), text);
  const shownHost = host.includes(":") ? `[${host}]` : host;
  return { kind: "ssh", user, host, port, description: `ssh://${user}@${shownHost}:${port}` };
}

function splitHostPort(hostPort: string, original: string): { host: string; port: number } {
  let host: string;
  let portText: string | undefined;
  if (hostPort.startsWith("[")) {
    const close = hostPort.indexOf("]");
    host = hostPort.slice(1, close);
    const after = hostPort.slice(close + 1);
    if (close < 0 || (after !== "" && !after.startsWith(":")) || !IPV6_PATTERN.test(host)) {
      throw new UsageError(`build host '${original}' has a malformed [IPv6] address`, {
        hint: HOST_URL_HINT,
      });
    }
    portText = after === "" ? undefined : after.slice(1);
  } else {
    const parts = hostPort.split(":");
    if (parts.length > 2 || hostPort.includes("/")) {
      throw new UsageError(`build host '${original}' is malformed`, { hint: HOST_URL_HINT });
    }
    host = parts[0]!;
    portText = parts[1];
    if (!HOSTNAME_PATTERN.test(host)) {
      throw new UsageError(`build host '${original}' has an invalid host name '${host}'`, {
        hint: HOST_URL_HINT,
      });
    }
  }
  if (portText === undefined) return { host, port: 22 };
  const port = Number(portText);
  if (!/^\d{1,5}$/.test(portText) || port < 1 || port > 65535) {
    throw new UsageError(`build host '${original}' has an invalid port '${portText}'`, {
      hint: "the port must be a number from 1 to 65535",
    });
  }
  return { host, port };
}
