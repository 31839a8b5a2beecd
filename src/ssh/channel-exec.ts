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
    const stdout: Buffer[] = [];
    const stderr: Buffer[] = [];
    const collect = options.collect !== false;
    let code: number | null = null;
    let exitSignal: string | null = null;
    let channel: ClientChannel | undefined;
    let settled = false;
    let timer: NodeJS.Timeout | undefined;

    const finish = (settle: () => void) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      options.signal?.removeEventListener("abort", onAbort);
      untrack();
      settle();
    };
    const fail = (error: Error) =>
      finish(() => {
        // Closing the channel makes sshd hang up on the remote process; the caller owns deeper cleanup.
        channel?.close();
        reject(error);
      });
    const onAbort = () => fail(new CancelledError(`${label} cancelled`));
    const untrack = params.track(fail);

    if (options.timeoutMs !== undefined) {
      timer = setTimeout(
        () =>
          fail(
            new InfrastructureError(`${label} on ${where} timed out after ${options.timeoutMs} ms`, {
              hint: "the build host may be overloaded or a command is hanging; check it with ssh and `ps`",
            }),
          ),
        options.timeoutMs,
      );
    }
    if (options.signal?.aborted) return onAbort();
    options.signal?.addEventListener("abort", onAbort, { once: true });

    client.exec(command, (error, stream) => {
      if (error) {
        return fail(
          new InfrastructureError(`cannot open an ssh channel on ${where}: ${error.message}`, {
            hint: "the connection to the build host failed; check sshd's MaxSessions and the host's load",
            cause: error,
          }),
        );
      }
      if (settled) return void stream.close();
      channel = stream;
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
        finish(() =>
          resolve({ code, signal: exitSignal, stdout: Buffer.concat(stdout), stderr: Buffer.concat(stderr) }),
        ),
      );
      writeStdin(stream, options.stdin, fail);
    });
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
