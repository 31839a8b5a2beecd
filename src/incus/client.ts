import { InfrastructureError } from "../errors/index.js";
import type { ExecResult, Transport } from "../transport/transport.js";
import { createIncusApi, type IncusApi } from "./api/api.js";
import { apiExec } from "./api/exec.js";
import { apiClaim, apiDelete, apiImageFingerprint, apiList, apiPatch } from "./api/ops.js";
import { incusSocketPath } from "./api/socket-path.js";
import {
  addDiskArgv,
  claimArgv,
  createArgv,
  type DiskDevice,
  deleteArgv,
  execArgv,
  type IncusScope,
  type InstancePatch,
  type InstanceSpec,
  imageInfoArgv,
  queryArgv,
  startArgv,
} from "./argv.js";
import { type InstanceSummary, parseInstanceList } from "./list.js";

export interface IncusExecOptions {
  env?: Record<string, string>;
  cwd?: string;
  onStdout?: (chunk: Buffer) => void;
  onStderr?: (chunk: Buffer) => void;
  timeoutMs?: number;
  signal?: AbortSignal;
  /** false: output only goes to the callbacks (long guest logs). */
  collect?: boolean;
}

/** The handful of Incus operations pikaci needs, as argv over a Transport (ssh2 or local). */
export interface IncusClient {
  imageExists(alias: string): Promise<boolean>;
  /** The fingerprint an image alias points at, or null when there is no such alias. */
  imageFingerprint(alias: string): Promise<string | null>;
  /** Create (and with `start`, also start) the instance with its config and disk devices in one command. */
  create(spec: InstanceSpec, options: { start: boolean; signal?: AbortSignal }): Promise<void>;
  addDisk(name: string, device: DiskDevice, vm: boolean): Promise<void>;
  start(name: string): Promise<void>;
  /** Run argv in the instance; resolves with its exit code, never throws for a non-zero one. */
  exec(name: string, argv: readonly string[], options?: IncusExecOptions): Promise<ExecResult>;
  waitReady(name: string, options: { deadlineMs: number; signal?: AbortSignal }): Promise<void>;
  /** Idempotent: an instance that does not exist counts as deleted. */
  delete(name: string, options?: { timeoutMs?: number }): Promise<void>;
  /** Instances whose name starts with prefix, without their runtime state (one cheap API call). */
  list(prefix: string): Promise<InstanceSummary[]>;
  /**
   * Atomically add device `device` (type none) to a running instance: true for exactly one of any
   * number of concurrent callers, false for the others and when the instance is gone. `with`
   * (config keys and devices to hot-plug) lands in the same write on the API, right after on the CLI.
   */
  claim(name: string, device: string, plug?: InstancePatch): Promise<boolean>;
  /** Merge config keys and hot-plug devices into an instance (one API PATCH). */
  patch(name: string, body: unknown): Promise<void>;
  /** How this client reaches Incus: its REST API over a socket stream, or one `incus` process per call. */
  connection(): Promise<IncusConnection>;
}

export type IncusConnection = { kind: "api"; socket: string } | { kind: "cli"; reason: string };

// "…non-reusable operation has now succeeded": a concurrent delete of the same instance won the race.
const NOT_FOUND = /not found|no such (object|instance)|non-reusable operation has now succeeded/i;
// A lost claim: another caller added the device first, or changed the instance between read and write.
const CLAIM_LOST = /already exists|ETag doesn't match|not found|is not running/i;

interface Ctx {
  transport: Transport;
  scope: IncusScope;
}

export interface IncusClientParams {
  transport: Transport;
  project?: string;
  /** false: always the CLI (tests of the fallback). Default: the API when the socket can be reached. */
  api?: boolean;
  /** The daemon's socket on the host; default: where `incus` there finds it (see socket-path.ts). */
  socketPath?: string;
}

/**
 * The API where the transport can reach the daemon's socket (one request on a forwarded stream,
 * a few ms), else the `incus` CLI over the transport (a process per call, 30–60 ms over ssh).
 * Launching instances stays with the CLI, which resolves profiles and image sources for us.
 */
export function createIncusClient(params: IncusClientParams): IncusClient {
  const cli = createCliClient(params);
  const reach = apiReach(params);
  const via =
    <A extends unknown[], R>(
      withApi: (api: IncusApi, ...args: A) => Promise<R>,
      withCli: (...args: A) => Promise<R>,
    ) =>
    async (...args: A): Promise<R> => {
      const { api } = await reach();
      return api === null ? withCli(...args) : withApi(api, ...args);
    };
  return {
    ...cli,
    imageFingerprint: via(apiImageFingerprint, cli.imageFingerprint),
    exec: via((api, name, argv, options) => apiExec(api, name, argv, options), cli.exec),
    delete: via(
      (api, name, options) => apiDelete(api, name, Math.ceil((options?.timeoutMs ?? 120_000) / 1000)),
      cli.delete,
    ),
    list: via(apiList, cli.list),
    claim: via(apiClaim, cli.claim),
    patch: via(apiPatch, cli.patch),
    async connection() {
      return (await reach()).connection;
    },
  };
}

/** Probes the socket once (GET /1.0), on first use; a refusal means the CLI for this client's life. */
function apiReach(params: IncusClientParams) {
  let probe: Promise<{ api: IncusApi | null; connection: IncusConnection }> | null = null;
  const open = params.transport.openSocket?.bind(params.transport);
  return () => {
    probe ??= (async () => {
      if (params.api === false)
        return { api: null, connection: { kind: "cli", reason: "API disabled" } as const };
      if (open === undefined) {
        return {
          api: null,
          connection: { kind: "cli", reason: "the transport cannot open sockets" } as const,
        };
      }
      const socket = params.socketPath ?? (await incusSocketPath(params.transport));
      const api = createIncusApi({
        open: () => open(socket),
        ...(params.project ? { project: params.project } : {}),
      });
      try {
        await api.call("GET", "/1.0", { timeoutMs: 15_000 });
        return { api, connection: { kind: "api", socket } as const };
      } catch (error) {
        const reason = `${socket} unreachable: ${error instanceof Error ? error.message : String(error)}`;
        return { api: null, connection: { kind: "cli", reason } as const };
      }
    })();
    return probe;
  };
}

function createCliClient(params: IncusClientParams): Omit<IncusClient, "connection"> {
  const ctx: Ctx = { transport: params.transport, scope: params.project ? { project: params.project } : {} };
  const { transport, scope } = ctx;
  return {
    imageExists: (alias) => imageExists(ctx, alias),
    imageFingerprint: (alias) => imageFingerprint(ctx, alias),
    async create(spec, options) {
      const { argv, stdin } = createArgv(spec, scope, options.start);
      const what = `incus ${options.start ? "launch" : "init"} ${spec.name}`;
      await run(ctx, argv, what, { stdin, signal: options.signal });
    },
    async addDisk(name, device, vm) {
      await run(ctx, addDiskArgv(name, device, vm, scope), `incus config device add ${name} ${device.name}`);
    },
    async start(name) {
      await run(ctx, startArgv(name, scope), `incus start ${name}`);
    },
    exec: (name, argv, options = {}) =>
      transport.exec(execArgv(name, argv, options, scope), {
        onStdout: options.onStdout,
        onStderr: options.onStderr,
        timeoutMs: options.timeoutMs,
        signal: options.signal,
        collect: options.collect,
      }),
    waitReady: (name, options) => waitReady(ctx, name, options),
    delete: (name, options = {}) => deleteInstance(ctx, name, options.timeoutMs ?? 120_000),
    async list(prefix) {
      const result = await run(ctx, queryArgv("/1.0/instances?recursion=1", scope), "incus list", {
        timeoutMs: 60_000,
      });
      return parseInstanceList(result.stdout.toString()).filter((i) => i.name.startsWith(prefix));
    },
    async claim(name, device, plug) {
      if (!(await claim(ctx, name, device))) return false;
      if (plug === undefined) return true;
      const what = `incus PATCH instance ${name}`;
      // Ours now, but unusable: delete it rather than leave a claimed member no job will run in.
      await run(ctx, queryArgv(`/1.0/instances/${name}`, scope, plug), what).catch(async (error: unknown) => {
        await deleteInstance(ctx, name, 120_000).catch(() => {});
        throw error;
      });
      return true;
    },
    async patch(name, body) {
      await run(ctx, queryArgv(`/1.0/instances/${name}`, scope, body), `incus PATCH instance ${name}`);
    },
  };
}

async function run(
  ctx: Ctx,
  argv: string[],
  what: string,
  options: { stdin?: string; signal?: AbortSignal; timeoutMs?: number } = {},
): Promise<ExecResult> {
  const result = await ctx.transport.exec(argv, options);
  if (result.code !== 0) throw incusError(what, ctx.transport.description, result);
  return result;
}

async function imageExists(ctx: Ctx, alias: string): Promise<boolean> {
  const result = await ctx.transport.exec(imageInfoArgv(alias, ctx.scope), { timeoutMs: 30_000 });
  if (result.code === 0) return true;
  if (NOT_FOUND.test(result.stderr.toString())) return false;
  throw incusError(`incus image info ${alias}`, ctx.transport.description, result);
}

async function imageFingerprint(ctx: Ctx, alias: string): Promise<string | null> {
  const argv = queryArgv(`/1.0/images/aliases/${encodeURIComponent(alias)}`, ctx.scope);
  const result = await ctx.transport.exec(argv, { timeoutMs: 30_000 });
  if (result.code !== 0) {
    if (NOT_FOUND.test(result.stderr.toString())) return null;
    throw incusError(`incus image alias ${alias}`, ctx.transport.description, result);
  }
  const target = (JSON.parse(result.stdout.toString()) as { target?: unknown }).target;
  return typeof target === "string" ? target : null;
}

async function claim(ctx: Ctx, name: string, device: string): Promise<boolean> {
  const result = await ctx.transport.exec(claimArgv(name, device, ctx.scope), { timeoutMs: 60_000 });
  if (result.code === 0) return true;
  if (CLAIM_LOST.test(result.stderr.toString())) return false;
  throw incusError(`claiming ${name}`, ctx.transport.description, result);
}

async function waitReady(
  ctx: Ctx,
  name: string,
  options: { deadlineMs: number; signal?: AbortSignal },
): Promise<void> {
  const deadline = Date.now() + options.deadlineMs;
  let delay = 50;
  for (;;) {
    const argv = execArgv(name, ["true"], {}, ctx.scope);
    const result = await ctx.transport.exec(argv, { signal: options.signal });
    if (result.code === 0) return;
    if (Date.now() + delay > deadline) {
      const what = `instance ${name} did not become ready within ${options.deadlineMs} ms`;
      throw incusError(what, ctx.transport.description, result);
    }
    await new Promise((resolve) => setTimeout(resolve, delay));
    delay = Math.min(delay * 2, 1_000);
  }
}

async function deleteInstance(ctx: Ctx, name: string, timeoutMs: number): Promise<void> {
  const result = await ctx.transport.exec(deleteArgv(name, ctx.scope), { timeoutMs });
  if (result.code === 0 || NOT_FOUND.test(result.stderr.toString())) return;
  throw incusError(`incus delete ${name}`, ctx.transport.description, result);
}

function incusError(what: string, where: string, result: ExecResult): InfrastructureError {
  const stderr = result.stderr.toString().trim().split("\n").slice(-5).join(" | ");
  const status = result.code === null ? `signal ${result.signal ?? "?"}` : `exit ${result.code}`;
  return new InfrastructureError(`${what} failed on ${where} (${status}): ${stderr || "no output"}`, {
    hint: "check the build host's Incus (`incus info`, `incus list`) and that the ssh user may use it (incus-admin group)",
  });
}
