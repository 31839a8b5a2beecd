/**
 * Start the pikaci GitHub App: `npx pikaci app serve`, or `node dist/app.js` (this file, bundled by
 * `npm run build`); `npx tsx app/src/server.ts` from the sources. Environment: see docs/app.md.
 * With PIKACI_APP_WORKERS > 1 the primary forks that many workers sharing the port.
 */
import cluster from "node:cluster";
import type { AddressInfo } from "node:net";
import { describeError } from "../../src/errors/index.js";
import { createPikaciServer } from "./create-server.js";
import { type AppEnv, loadAppEnv } from "./env.js";

async function main(env: NodeJS.ProcessEnv = process.env): Promise<void> {
  const appEnv = loadAppEnv(env);
  if ((appEnv.workers ?? 1) > 1 && cluster.isPrimary) return supervise(appEnv.workers ?? 1);
  await serve(appEnv, env);
}

async function serve(appEnv: AppEnv, env: NodeJS.ProcessEnv): Promise<void> {
  const app = await createPikaciServer({
    env: appEnv,
    processEnv: env,
  });
  const address = await app.listen();
  // Like the supervisor's lines, on stderr and whatever LOG_LEVEL is (probot's default, warn, drops info).
  process.stderr.write(`${startedMessage(appEnv, address, app.probot.webhookPath)}\n`);
  const interval = appEnv.reconcileIntervalSecs;
  if (interval) {
    const pass = (slot: string) =>
      app.reconcile(slot).catch((err: unknown) => app.probot.log.error({ err }, "reconcile pass failed"));
    // At start (one replica per minute), then once per interval slot across replicas.
    void pass(`reconcile:start:${Math.floor(Date.now() / 60_000)}`);
    setInterval(
      () => void pass(`reconcile:${Math.floor(Date.now() / (interval * 1000))}`),
      interval * 1000,
    ).unref();
  }
  for (const signal of ["SIGINT", "SIGTERM"] as const) {
    process.once(signal, () => {
      app.close().finally(() => process.exit(0));
    });
  }
}

/** Where it listens, where GitHub and people reach it, and where deliveries go: all an operator checks. */
function startedMessage(appEnv: AppEnv, address: AddressInfo, webhookPath: string): string {
  const host = address.family === "IPv6" ? `[${address.address}]` : address.address;
  return (
    `pikaci app: listening on http://${host}:${address.port}; public URL ${appEnv.publicUrl}; ` +
    `webhooks at ${appEnv.publicUrl}${webhookPath}; health check ${appEnv.publicUrl}/pikaci/healthz`
  );
}

/** Keep `count` workers alive; a crashed worker is replaced, a signal stops them all. */
function supervise(count: number): void {
  let stopping = false;
  for (let i = 0; i < count; i++) cluster.fork();
  cluster.on("exit", (worker, code, signal) => {
    if (stopping) return;
    process.stderr.write(
      `pikaci app: worker ${worker.process.pid} exited (${signal ?? code}); starting another\n`,
    );
    cluster.fork();
  });
  for (const signal of ["SIGINT", "SIGTERM"] as const) {
    process.once(signal, () => {
      stopping = true;
      for (const worker of Object.values(cluster.workers ?? {})) worker?.process.kill("SIGTERM");
      cluster.on("exit", () => {
        if (Object.keys(cluster.workers ?? {}).length === 0) process.exit(0);
      });
    });
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`pikaci app: ${describeError(error)}\n`);
  process.exit(2);
});
