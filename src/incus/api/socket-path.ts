import type { Transport } from "../../transport/transport.js";
import { DEFAULT_INCUS_SOCKET } from "./api.js";

/**
 * The daemon's socket as the `incus` CLI finds it: INCUS_SOCKET, else `$INCUS_DIR/unix.socket`, else
 * the default. Pure, so the rule is tested on data; the host's own environment is read by
 * `incusSocketPath`, because a build host (or one sshd of several) may point INCUS_DIR elsewhere,
 * and the API must reach the same daemon the CLI would.
 */
export function socketFromEnv(env: { INCUS_SOCKET?: string; INCUS_DIR?: string }): string {
  if (env.INCUS_SOCKET) return env.INCUS_SOCKET;
  if (env.INCUS_DIR) return `${env.INCUS_DIR.replace(/\/+$/, "")}/unix.socket`;
  return DEFAULT_INCUS_SOCKET;
}

// Prints both variables NUL-separated, so an empty one is still told apart.
// biome-ignore lint/suspicious/noTemplateCurlyInString: shell parameter expansions, not a template
const READ_ENV = 'printf "%s\\0%s" "${INCUS_SOCKET:-}" "${INCUS_DIR:-}"';

const found = new WeakMap<Transport, Promise<string>>();

/** Asked once per connection (one short command); a host that cannot answer gets the default. */
export function incusSocketPath(transport: Transport): Promise<string> {
  let path = found.get(transport);
  if (path === undefined) {
    path = readSocketPath(transport);
    found.set(transport, path);
  }
  return path;
}

async function readSocketPath(transport: Transport): Promise<string> {
  try {
    const result = await transport.exec(["sh", "-c", READ_ENV], { timeoutMs: 15_000 });
    if (result.code !== 0) return DEFAULT_INCUS_SOCKET;
    const [socket = "", dir = ""] = result.stdout.toString("utf8").split("\0");
    return socketFromEnv({ INCUS_SOCKET: socket, INCUS_DIR: dir });
  } catch {
    return DEFAULT_INCUS_SOCKET;
  }
}
