import type { Readable } from "node:stream";
import { InfrastructureError } from "../errors/index.js";
import type { Transport } from "../transport/transport.js";

export interface ScriptContext {
  transport: Transport;
  workDir: string;
  timeoutMs?: number | undefined;
  /** Adds up the stdout bytes of every script run, for `bytes_received`. */
  received?: { bytes: number };
}

/** Runs one of the fixed remote scripts; a non-zero exit is an infrastructure failure with stderr attached. */
export async function runScript(
  ctx: ScriptContext,
  script: string,
  args: readonly string[],
  stdin?: string | Buffer | Readable,
): Promise<string> {
  return (await runScriptRaw(ctx, script, args, stdin)).toString("utf8");
}

/** As runScript, for output that is partly binary (a gzipped manifest after a status line). */
export async function runScriptRaw(
  ctx: ScriptContext,
  script: string,
  args: readonly string[],
  stdin?: string | Buffer | Readable,
): Promise<Buffer> {
  const result = await ctx.transport.exec(["sh", "-c", script, "pikaci", ...args], {
    ...(stdin === undefined ? {} : { stdin }),
    timeoutMs: ctx.timeoutMs ?? 30 * 60_000,
  });
  if (ctx.received) ctx.received.bytes += result.stdout.length;
  if (result.code !== 0) {
    const stderr = result.stderr.toString("utf8").trim().split("\n").slice(-5).join("\n");
    throw new InfrastructureError(
      `snapshot sync on ${ctx.transport.description} failed (${result.code === null ? `signal ${result.signal}` : `exit ${result.code}`}): ${stderr || "no output"}`,
      { hint: `check free space and permissions of ${ctx.workDir} on the build host` },
    );
  }
  return result.stdout;
}
