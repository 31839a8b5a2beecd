import type { Client, ClientChannel } from "ssh2";
import { CancelledError, InfrastructureError } from "../errors/index.js";
import type { ExecOptions, ExecResult } from "../transport/transport.js";

/**
 * Run one already-quoted command on an open ssh2 connection. `track` registers a failure callback
 * with the transport, so a dropped connection can reject every command still in flight.
 */
export function execOnChannel(params: {
  client: Client;
  command: string;
  label: string;
  where: string;
  options: ExecOptions;
  track: (fail: (error: Error) => void) => () => void;
}): Promise<ExecResult> {
  const { client, command, label, where, options } = params;
  return new Promise((resolve, reject) => {
    const call = createPendingCall({ label, signal: options.signal, track: params.track, reject });
    const { timeoutMs } = options;
    if (timeoutMs !== undefined) call.armTimeout(timeoutMs, () => timeoutError(label, where, timeoutMs));
    if (options.signal?.aborted) return call.abort();
    options.signal?.addEventListener("abort", call.abort, { once: true });

    client.exec(command, (error, stream) => {
      if (error) return call.fail(channelOpenError(where, error));
      if (call.settled()) return void stream.close();
      call.channel = stream;
      readChannel(stream, options, (result) => call.finish(() => resolve(result)));
      writeStdin(stream, options.stdin, call.fail);
    });
  });
}

/** One command's promise: settles once, whichever of close, failure, timeout or abort comes first. */
interface PendingCall {
  channel: ClientChannel | undefined;
  settled(): boolean;
  finish(settle: () => void): void;
  fail(error: Error): void;
  abort(): void;
  armTimeout(ms: number, error: () => Error): void;
}

function createPendingCall(params: {
  label: string;
  signal: AbortSignal | undefined;
  track: (fail: (error: Error) => void) => () => void;
  reject: (error: Error) => void;
}): PendingCall {
  let settled = false;
  let timer: NodeJS.Timeout | undefined;
  const call: PendingCall = {
    channel: undefined,
    settled: () => settled,
    finish(settle) {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      params.signal?.removeEventListener("abort", call.abort);
      untrack();
      settle();
    },
    fail: (error) =>
      call.finish(() => {
        // Closing the channel makes sshd hang up on the remote process; the caller owns deeper cleanup.
        call.channel?.close();
        params.reject(error);
      }),
    abort: () => call.fail(new CancelledError(`${params.label} cancelled`)),
    armTimeout(ms, error) {
      timer = setTimeout(() => call.fail(error()), ms);
    },
  };
  const untrack = params.track(call.fail);
  return call;
}

/** Streams output to the caller's callbacks, keeps it unless `collect` is false, and reports the exit on close. */
function readChannel(
  stream: ClientChannel,
  options: ExecOptions,
  onClose: (result: ExecResult) => void,
): void {
  const collect = options.collect !== false;
  const stdout: Buffer[] = [];
  const stderr: Buffer[] = [];
  let code: number | null = null;
  let exitSignal: string | null = null;
  stream.on("data", (chunk: Buffer) => {
    options.onStdout?.(chunk);
    if (collect) stdout.push(chunk);
  });
  stream.stderr.on("data", (chunk: Buffer) => {
    options.onStderr?.(chunk);
    if (collect) stderr.push(chunk);
  });
  stream.on("exit", (exitCode: number | null, signalName?: string) => {
    code = typeof exitCode === "number" ? exitCode : null;
    exitSignal = signalName ?? null;
  });
  stream.on("close", () =>
    onClose({ code, signal: exitSignal, stdout: Buffer.concat(stdout), stderr: Buffer.concat(stderr) }),
  );
}

function timeoutError(label: string, where: string, ms: number): InfrastructureError {
  return new InfrastructureError(`${label} on ${where} timed out after ${ms} ms`, {
    hint: "the build host may be overloaded or a command is hanging; check it with ssh and `ps`",
  });
}

function channelOpenError(where: string, error: Error): InfrastructureError {
  return new InfrastructureError(`cannot open an ssh channel on ${where}: ${error.message}`, {
    hint: "the connection to the build host failed; check sshd's MaxSessions and the host's load",
    cause: error,
  });
}

function writeStdin(stream: ClientChannel, stdin: ExecOptions["stdin"], fail: (error: Error) => void): void {
  if (stdin === undefined) return void stream.end();
  if (typeof stdin === "string" || Buffer.isBuffer(stdin)) return void stream.end(stdin);
  stdin.on("error", (error) =>
    fail(new InfrastructureError(`reading the stdin stream failed: ${error.message}`, { cause: error })),
  );
  stdin.pipe(stream);
}
