import type { Transport } from "../../transport/transport.js";

export const HEARTBEAT_INTERVAL_MS = 10_000;
/** gc treats a run as dead when its heartbeat is older than this many intervals. */
export const HEARTBEAT_STALE_FACTOR = 3;

/**
 * Touch `runs/<run>/heartbeat` on the build host while a job runs. The owning process may be on
 * another machine, so a pid cannot tell the host whether a run is alive; a fresh mtime can.
 */
export function startHeartbeat(params: {
  transport: Transport;
  path: string;
  intervalMs?: number;
}): () => void {
  const { transport, path } = params;
  const beat = async () => {
    const files = await transport.files?.().catch(() => undefined);
    const touched = await files?.touch(path).then(
      () => true,
      () => false,
    );
    if (touched !== true) await transport.exec(["touch", "--", path], { timeoutMs: 30_000 });
  };
  const timer = setInterval(() => {
    beat().catch(() => {
      // A missed beat is harmless; three in a row make gc consider the run dead, which it then is.
    });
  }, params.intervalMs ?? HEARTBEAT_INTERVAL_MS);
  timer.unref();
  return () => clearInterval(timer);
}
