import { CancelledError, InfrastructureError } from "../../errors/index.js";
import type { ExecResult } from "../../transport/transport.js";
import type { IncusExecOptions } from "../client.js";
import type { IncusApi } from "./api.js";
import { openWebSocket, type WebSocket } from "./websocket.js";

interface ExecOperation {
  id: string;
  metadata?: { fds?: Record<string, string> };
}

/**
 * `incus exec` without the CLI: POST the exec with `wait-for-websocket`, attach stdin (closed at
 * once, as `--disable-stdin` does), stdout, stderr and control, then read the exit code from the
 * finished operation. Incus starts the command only once all four are attached. A timeout or an
 * abort SIGKILLs the command through the control socket, like a dropped `incus exec` would.
 */
export async function apiExec(
  api: IncusApi,
  name: string,
  argv: readonly string[],
  options: IncusExecOptions = {},
): Promise<ExecResult> {
  if (options.signal?.aborted) throw new CancelledError("incus exec cancelled");
  const started = await api.call("POST", `/1.0/instances/${encodeURIComponent(name)}/exec`, {
    body: {
      command: argv,
      environment: options.env ?? {},
      ...(options.cwd ? { cwd: options.cwd } : {}),
      "wait-for-websocket": true,
      interactive: false,
      "record-output": false,
    },
  });
  const op = started.metadata as ExecOperation;
  const fds = op.metadata?.fds ?? {};
  const collect = options.collect !== false;
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  const attach = (fd: string, onMessage: (data: Buffer) => void) =>
    api
      .upgrade(`/1.0/operations/${op.id}/websocket?secret=${encodeURIComponent(fds[fd] ?? "")}`)
      .then(({ stream, head }) => openWebSocket(stream, head, onMessage));
  const sockets = await Promise.all([
    attach("0", () => {}),
    attach("1", (data) => {
      if (collect) out.push(data);
      options.onStdout?.(data);
    }),
    attach("2", (data) => {
      if (collect) err.push(data);
      options.onStderr?.(data);
    }),
    attach("control", () => {}),
  ]);
  sockets[0].close();
  const ended = await raceStop(sockets, options, name);
  if (ended !== null) throw ended;
  const finished = await api.wait(`/1.0/operations/${op.id}`, 30);
  const code = (finished.metadata as { metadata?: { return?: number } } | null)?.metadata?.return;
  sockets[3].destroy();
  return {
    code: typeof code === "number" ? code : null,
    signal: null,
    stdout: Buffer.concat(out),
    stderr: Buffer.concat(err),
  };
}

/** Waits for stdout and stderr to end; on timeout or abort kills the command and returns the error. */
async function raceStop(
  sockets: WebSocket[],
  options: IncusExecOptions,
  name: string,
): Promise<Error | null> {
  let timer: NodeJS.Timeout | undefined;
  let onAbort: (() => void) | undefined;
  const stopped = new Promise<Error>((resolve) => {
    if (options.timeoutMs !== undefined) {
      const ms = options.timeoutMs;
      timer = setTimeout(
        () =>
          resolve(
            new InfrastructureError(`incus exec in ${name} timed out after ${ms} ms`, {
              hint: "the build host may be overloaded or a command is hanging; check it with ssh and `ps`",
            }),
          ),
        ms,
      );
    }
    onAbort = () => resolve(new CancelledError("incus exec cancelled"));
    options.signal?.addEventListener("abort", onAbort, { once: true });
  });
  try {
    const outcome = await Promise.race([
      Promise.all([sockets[1]!.done, sockets[2]!.done]).then(() => null),
      stopped,
    ]);
    if (outcome !== null) {
      sockets[3]!.sendText(JSON.stringify({ command: "signal", signal: 9 }));
      // Let the control message leave before the streams go; the daemon kills on an abnormal close too.
      await new Promise((resolve) => setTimeout(resolve, 50));
      for (const socket of sockets) socket.destroy();
    }
    return outcome;
  } finally {
    clearTimeout(timer);
    if (onAbort) options.signal?.removeEventListener("abort", onAbort);
  }
}
