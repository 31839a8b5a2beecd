import { posix } from "node:path";
import { createIncusClient } from "../incus/client.js";
import { shellQuote } from "../ssh/quote.js";
import type { Transport } from "../transport/transport.js";
import { aliasFingerprint, incusVersion, poolMembers, rootPool } from "./incus-facts.js";
import { probeRunner } from "./probe-runner.js";
import type { HostFacts, ImageFacts } from "./report.js";

export interface GatherParams {
  transport: Transport;
  project?: string;
  remoteWorkDir: string;
  images: readonly string[];
  runnerPath: string;
  /** How many `true` commands time the shell (the median is reported). */
  shellSamples?: number;
  /** Progress for a person waiting (probing an image launches an instance). */
  log?: (line: string) => void;
}

/** The thin edge of `pikaci host check`: every fact, read over the transport; no judgement here. */
export async function gatherHostFacts(params: GatherParams): Promise<HostFacts> {
  const { transport, project } = params;
  const log = params.log ?? (() => {});
  log(`checking ${transport.description}`);
  const shell = await timeShell(transport, params.shellSamples ?? 5);
  const incus = await incusVersion(transport);
  const workDir = await workDirFacts(transport, params.remoteWorkDir);
  const base = { host: transport.description, project: project ?? null, incus, work_dir: workDir, shell };
  if (incus.server === null) {
    return {
      ...base,
      storage: { pool: null, driver: null, error: "Incus unreachable" },
      images: [],
      pool: { members: [], error: null },
    };
  }
  const storage = await rootPool(transport, project);
  const client = createIncusClient({ transport, project });
  const connection = await client.connection();
  base.incus.api =
    connection.kind === "api"
      ? { socket: connection.socket, fallback: null }
      : { socket: null, fallback: connection.reason };
  const images: ImageFacts[] = [];
  for (const alias of params.images) {
    log(`probing image ${alias}`);
    images.push(await imageFacts({ transport, client, alias, project, runnerPath: params.runnerPath }));
  }
  return { ...base, storage, images, pool: await poolMembers(transport, project) };
}

async function imageFacts(params: {
  transport: Transport;
  client: ReturnType<typeof createIncusClient>;
  alias: string;
  project?: string;
  runnerPath: string;
}): Promise<ImageFacts> {
  const { fingerprint, error } = await aliasFingerprint(params.transport, params.alias, params.project);
  if (fingerprint === null) {
    const runner = error === null ? null : { present: false, contract_version: null, error };
    return { alias: params.alias, exists: false, fingerprint: null, runner };
  }
  const runner = await probeRunner({
    incus: params.client,
    image: params.alias,
    runnerPath: params.runnerPath,
  });
  return { alias: params.alias, exists: true, fingerprint, runner };
}

async function timeShell(transport: Transport, samples: number): Promise<HostFacts["shell"]> {
  const times: number[] = [];
  for (let i = 0; i < samples; i++) {
    const start = performance.now();
    await transport.exec(["true"], { timeoutMs: 30_000 });
    times.push(Math.round((performance.now() - start) * 10) / 10);
  }
  return { samples_ms: times, median_ms: middle(times) ?? 0, ...(await shellStartup(transport, samples)) };
}

/**
 * The login shell started as sshd starts it. bash sources ~/.bashrc for a remote command when SHLVL
 * is below 2; the login shell that runs our one `sh -c` execs it and gives SHLVL back, so the script
 * sees sshd's own level and the inner shell decides as sshd's child did (an sshd that sets SHLVL to
 * skip the rc is honoured). Timed on the host with GNU date's nanoseconds, apart from the network.
 */
async function shellStartup(
  transport: Transport,
  samples: number,
): Promise<Pick<HostFacts["shell"], "login_shell" | "startup_ms">> {
  const script = `echo "shell=\${SHELL:-}"; i=0; while [ $i -lt ${samples} ]; do s=$(date +%s%N); "\${SHELL:-/bin/sh}" -c true </dev/null >/dev/null 2>&1; e=$(date +%s%N); echo "us=$(( (e - s) / 1000 ))"; i=$((i + 1)); done`;
  const result = await transport.exec(["sh", "-c", script], { timeoutMs: 60_000 }).catch(() => null);
  const out = result?.stdout.toString() ?? "";
  const shell = /^shell=(.+)$/m.exec(out)?.[1] ?? null;
  const micros = [...out.matchAll(/^us=(\d+)$/gm)].map((m) => Number(m[1]) / 1000);
  const median = micros.length === samples ? middle(micros) : null;
  return { login_shell: shell, startup_ms: median === null ? null : Math.round(median * 10) / 10 };
}

function middle(values: readonly number[]): number | null {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[sorted.length >> 1] ?? null;
}

/**
 * The work dir, or the nearest existing parent it would be made in: exists, writable by the account,
 * and the free bytes on its file system (POSIX `df -Pk`).
 */
async function workDirFacts(transport: Transport, path: string): Promise<HostFacts["work_dir"]> {
  const dir = posix.normalize(path);
  const script = [
    `d=${shellQuote(dir)}`,
    'if [ -d "$d" ]; then echo exists=1; else echo exists=0; while [ ! -d "$d" ]; do d=$(dirname "$d"); done; fi',
    '[ -w "$d" ] && echo writable=1 || echo writable=0',
    'df -Pk "$d" | awk \'NR==2 {print "free_kib=" $4}\'',
  ].join("\n");
  const result = await transport.exec(["sh", "-c", script], { timeoutMs: 30_000 });
  const out = result.stdout.toString();
  const value = (key: string) => new RegExp(`^${key}=(\\d+)$`, "m").exec(out)?.[1];
  const free = value("free_kib");
  return {
    path: dir,
    exists: value("exists") === "1",
    writable: value("writable") === "1",
    free_bytes: free === undefined ? null : Number(free) * 1024,
    error: result.code === 0 ? null : result.stderr.toString().trim() || `exit ${result.code}`,
  };
}
