import { InfrastructureError } from "../errors/index.js";
import type { ExecResult, Transport } from "../transport/transport.js";
import {
  addDiskArgv,
  createArgv,
  type DiskDevice,
  deleteArgv,
  execArgv,
  type IncusScope,
  type InstanceSpec,
  imageInfoArgv,
  listArgv,
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
  /** Create (and with `start`, also start) the instance with its config and disk devices in one command. */
  create(spec: InstanceSpec, options: { start: boolean; signal?: AbortSignal }): Promise<void>;
  addDisk(name: string, device: DiskDevice, vm: boolean): Promise<void>;
  start(name: string): Promise<void>;
  /** Run argv in the instance; resolves with its exit code, never throws for a non-zero one. */
  exec(name: string, argv: readonly string[], options?: IncusExecOptions): Promise<ExecResult>;
  waitReady(name: string, options: { deadlineMs: number; signal?: AbortSignal }): Promise<void>;
  /** Idempotent: an instance that does not exist counts as deleted. */
  delete(name: string, options?: { timeoutMs?: number }): Promise<void>;
  list(prefix: string): Promise<InstanceSummary[]>;
}

// "…non-reusable operation has now succeeded": a concurrent delete of the same instance won the race.
const NOT_FOUND = /not found|no such (object|instance)|non-reusable operation has now succeeded/i;

export function createIncusClient(params: { transport: Transport; project?: string }): IncusClient {
  const { transport } = params;
  const scope: IncusScope = params.project ? { project: params.project } : {};

  const run = async (
    argv: string[],
    what: string,
    options: { stdin?: string; signal?: AbortSignal; timeoutMs?: number } = {},
  ) => {
    const result = await transport.exec(argv, options);
    if (result.code !== 0) throw incusError(what, transport.description, result);
    return result;
  };

  return {
    async imageExists(alias) {
      const result = await transport.exec(imageInfoArgv(alias, scope), { timeoutMs: 30_000 });
      if (result.code === 0) return true;
      if (NOT_FOUND.test(result.stderr.toString())) return false;
      throw incusError(`incus image info ${alias}`, transport.description, result);
    },
    async create(spec, options) {
      const { argv, stdin } = createArgv(spec, scope, options.start);
      await run(argv, `incus ${options.start ? "launch" : "init"} ${spec.name}`, {
        stdin,
        signal: options.signal,
      });
    },
    async addDisk(name, device, vm) {
      await run(addDiskArgv(name, device, vm, scope), `incus config device add ${name} ${device.name}`);
    },
    async start(name) {
      await run(startArgv(name, scope), `incus start ${name}`);
    },
    exec(name, argv, options = {}) {
      return transport.exec(execArgv(name, argv, options, scope), {
        onStdout: options.onStdout,
        onStderr: options.onStderr,
        timeoutMs: options.timeoutMs,
        signal: options.signal,
        collect: options.collect,
      });
    },
    async waitReady(name, options) {
      const deadline = Date.now() + options.deadlineMs;
      let delay = 50;
      for (;;) {
        const result = await transport.exec(execArgv(name, ["true"], {}, scope), { signal: options.signal });
        if (result.code === 0) return;
        if (Date.now() + delay > deadline) {
          throw incusError(
            `instance ${name} did not become ready within ${options.deadlineMs} ms`,
            transport.description,
            result,
          );
        }
        await new Promise((resolve) => setTimeout(resolve, delay));
        delay = Math.min(delay * 2, 1_000);
      }
    },
    async delete(name, options = {}) {
      const result = await transport.exec(deleteArgv(name, scope), {
        timeoutMs: options.timeoutMs ?? 120_000,
      });
      if (result.code === 0 || NOT_FOUND.test(result.stderr.toString())) return;
      throw incusError(`incus delete ${name}`, transport.description, result);
    },
    async list(prefix) {
      const result = await run(listArgv(prefix, scope), "incus list", { timeoutMs: 60_000 });
      return parseInstanceList(result.stdout.toString()).filter((instance) =>
        instance.name.startsWith(prefix),
      );
    },
  };
}

function incusError(what: string, where: string, result: ExecResult): InfrastructureError {
  const stderr = result.stderr.toString().trim().split("\n").slice(-5).join(" | ");
  const status = result.code === null ? `signal ${result.signal ?? "?"}` : `exit ${result.code}`;
  return new InfrastructureError(`${what} failed on ${where} (${status}): ${stderr || "no output"}`, {
    hint: "check the build host's Incus (`incus info`, `incus list`) and that the ssh user may use it (incus-admin group)",
  });
}
