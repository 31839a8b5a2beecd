import { InfrastructureError } from "../../errors/index.js";
import type { Transport } from "../../transport/transport.js";

/**
 * prepare_directories in one round trip: create every host directory (writable ones world-writable,
 * because the guest's uids are shifted and own nothing on the host), clear a previous attempt's
 * result, and touch the run's heartbeat.
 */
export async function prepareRemoteDirs(params: {
  transport: Transport;
  dirs: readonly string[];
  writable: readonly string[];
  clearFiles: readonly string[];
  heartbeat: string;
}): Promise<void> {
  // Paths are absolute, so they can never collide with the `--w` / `--rm` section markers.
  const script = [
    "hb=$1; shift; mode=d",
    'for a in "$@"; do',
    '  case "$mode:$a" in',
    "  *:--w) mode=w ;;",
    "  *:--rm) mode=r ;;",
    '  d:*) mkdir -p -- "$a" || exit 1 ;;',
    '  w:*) { mkdir -p -- "$a" && chmod 0777 -- "$a"; } || exit 1 ;;',
    '  r:*) rm -f -- "$a" || exit 1 ;;',
    "  esac",
    "done",
    'touch -- "$hb"',
  ].join("\n");
  const argv = [
    "sh",
    "-c",
    script,
    "pikaci-prepare",
    params.heartbeat,
    ...params.dirs,
    "--w",
    ...params.writable,
    "--rm",
    ...params.clearFiles,
  ];
  const result = await params.transport.exec(argv, { timeoutMs: 60_000 });
  if (result.code !== 0) {
    throw new InfrastructureError(
      `cannot create the job's directories on ${params.transport.description}: ${result.stderr.toString().trim()}`,
      {
        hint: "check that the ssh user may write the remote work dir (--remote-work-dir) and the disk is not full",
      },
    );
  }
}

/** Read a small file back; null when it does not exist. */
export async function readRemoteFile(transport: Transport, path: string): Promise<string | null> {
  const result = await transport.exec(
    ["sh", "-c", 'if [ -f "$1" ]; then cat -- "$1"; else exit 3; fi', "pikaci-read", path],
    {
      timeoutMs: 60_000,
    },
  );
  if (result.code === 3) return null;
  if (result.code !== 0) {
    throw new InfrastructureError(
      `cannot read ${path} on ${transport.description}: ${result.stderr.toString().trim()}`,
    );
  }
  return result.stdout.toString("utf8");
}
