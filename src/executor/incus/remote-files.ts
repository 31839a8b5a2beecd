import { InfrastructureError } from "../../errors/index.js";
import type { HostFiles, Transport } from "../../transport/transport.js";

interface DirsParams {
  transport: Transport;
  dirs: readonly string[];
  writable: readonly string[];
  clearFiles: readonly string[];
  heartbeat: string;
}

/**
 * prepare_directories: create every host directory (writable ones world-writable, because the
 * guest's uids are shifted and own nothing on the host), clear a previous attempt's result, and
 * touch the run's heartbeat. Over the transport's file session when it has one (a few requests on
 * an open channel), else, or if that fails, in one shell command (which also names the problem).
 */
export async function prepareRemoteDirs(params: DirsParams): Promise<void> {
  const files = await params.transport.files?.().catch(() => undefined);
  if (files !== undefined) {
    const done = await prepareWithFiles(files, params).then(
      () => true,
      () => false,
    );
    if (done) return;
  }
  await prepareWithShell(params);
}

async function prepareWithFiles(files: HostFiles, params: DirsParams): Promise<void> {
  for (const dir of params.dirs) await files.mkdir(dir);
  // In order: a writable dir may sit inside the one before it, which must get its mode first.
  for (const dir of params.writable) await files.mkdir(dir, 0o777);
  await Promise.all([...params.clearFiles.map((file) => files.remove(file)), files.touch(params.heartbeat)]);
}

async function prepareWithShell(params: DirsParams): Promise<void> {
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
