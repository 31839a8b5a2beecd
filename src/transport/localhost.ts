import { type ChildProcess, type ChildProcessWithoutNullStreams, spawn } from "node:child_process";
import { appendFile, chmod, mkdir, readFile, rm, utimes } from "node:fs/promises";
import { connect } from "node:net";
import { type Duplex, Readable } from "node:stream";
import { InfrastructureError } from "../errors/index.js";
import type { ExecOptions, ExecResult, HostFiles, Transport } from "./transport.js";

/**
 * Runs argv on this machine, without a shell, so `--host localhost` needs no SSH and tests can exercise
 * the same remote scripts. Each command gets its own process group so a timeout or abort kills
 * everything it started (e.g. `sh -c 'tar … | …'`).
 */
export class LocalhostTransport implements Transport {
  readonly description = "localhost";

  exec(argv: readonly string[], options: ExecOptions = {}): Promise<ExecResult> {
    const [file, ...args] = argv;
    if (file === undefined) return Promise.reject(new TypeError("LocalhostTransport.exec: empty argv"));
    return new Promise((resolve, reject) => {
      const child = spawn(file, args, { stdio: ["pipe", "pipe", "pipe"], detached: true });
      const killer = groupKiller(child, options);
      const output = collectOutput(child, options);
      // The command may exit without reading all of stdin; that is its business, not an error.
      child.stdin.on("error", () => {});
      writeStdin(child.stdin, options.stdin, () => killer.kill("abort"));
      child.on("error", (error) => {
        killer.dispose();
        reject(
          new InfrastructureError(`could not start ${file}: ${error.message}`, {
            hint: `install ${file} or fix PATH on this machine`,
            cause: error,
          }),
        );
      });
      child.on("close", (code, signal) => {
        killer.dispose();
        if (killer.killedBy() !== "timeout") return resolve({ code, signal, ...output() });
        reject(
          new InfrastructureError(`command timed out after ${options.timeoutMs} ms: ${file}`, {
            hint: "raise the timeout or check why the command hangs",
          }),
        );
      });
    });
  }

  openSocket(path: string): Promise<Duplex> {
    return new Promise((resolve, reject) => {
      const socket = connect(path);
      socket.once("connect", () => {
        socket.removeListener("error", reject);
        resolve(socket);
      });
      socket.once("error", reject);
    });
  }

  async files(): Promise<HostFiles> {
    return {
      async mkdir(path, mode) {
        await mkdir(path, { recursive: true });
        if (mode !== undefined) await chmod(path, mode);
      },
      remove: (path) => rm(path, { force: true }),
      read: (path) =>
        readFile(path, "utf8").catch((error: NodeJS.ErrnoException) => {
          if (error.code === "ENOENT") return null;
          throw error;
        }),
      async touch(path) {
        const now = new Date();
        await utimes(path, now, now).catch(async (error: NodeJS.ErrnoException) => {
          if (error.code !== "ENOENT") throw error;
          await appendFile(path, "");
        });
      },
    };
  }

  async close(): Promise<void> {}
}

/** Kills the child's whole process group on timeout or abort, and remembers which came first. */
function groupKiller(child: ChildProcess, options: Pick<ExecOptions, "timeoutMs" | "signal">) {
  let killedBy: "timeout" | "abort" | null = null;
  const kill = (why: "timeout" | "abort") => {
    killedBy ??= why;
    try {
      if (child.pid !== undefined) process.kill(-child.pid, "SIGKILL");
    } catch {
      // Already gone.
    }
  };
  const timer = options.timeoutMs === undefined ? null : setTimeout(() => kill("timeout"), options.timeoutMs);
  const onAbort = () => kill("abort");
  options.signal?.addEventListener("abort", onAbort, { once: true });
  if (options.signal?.aborted) onAbort();
  return {
    kill,
    killedBy: () => killedBy,
    dispose: () => {
      if (timer) clearTimeout(timer);
      options.signal?.removeEventListener("abort", onAbort);
    },
  };
}

/** Streams stdout/stderr to the callbacks and, unless `collect: false`, keeps them for the result. */
function collectOutput(
  child: ChildProcessWithoutNullStreams,
  options: Pick<ExecOptions, "collect" | "onStdout" | "onStderr">,
): () => { stdout: Buffer; stderr: Buffer } {
  const collect = options.collect !== false;
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  child.stdout.on("data", (chunk: Buffer) => {
    if (collect) out.push(chunk);
    options.onStdout?.(chunk);
  });
  child.stderr.on("data", (chunk: Buffer) => {
    if (collect) err.push(chunk);
    options.onStderr?.(chunk);
  });
  return () => ({ stdout: Buffer.concat(out), stderr: Buffer.concat(err) });
}

/** A failing stdin source (e.g. a file that vanished mid-upload) kills the command: half an input is worse than none. */
function writeStdin(
  sink: NodeJS.WritableStream,
  stdin: ExecOptions["stdin"],
  onSourceError: () => void,
): void {
  if (stdin === undefined) {
    sink.end();
  } else if (typeof stdin === "string" || Buffer.isBuffer(stdin)) {
    sink.end(stdin);
  } else {
    const source = stdin instanceof Readable ? stdin : Readable.from(stdin);
    source.on("error", onSourceError);
    source.pipe(sink);
  }
}
