import { type ChildProcess, spawn } from "node:child_process";
import { createServer } from "node:net";
import { PUBLIC_URL, SECRET, sign, testPrivateKey } from "./helpers.js";

/** The App started the documented way (`app/src/server.ts`), as its own process. */
export interface AppProcess {
  url: string;
  child: ChildProcess;
  output: () => string;
  stop(): Promise<void>;
}

export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const { port } = server.address() as { port: number };
  await new Promise((r) => server.close(r));
  return port;
}

export async function startAppProcess(options: {
  stateRoot: string;
  githubUrl: string;
  env?: Record<string, string>;
}): Promise<AppProcess> {
  const port = await freePort();
  const child = spawn(process.execPath, ["--import", "tsx", "app/src/server.ts"], {
    cwd: new URL("../..", import.meta.url).pathname,
    env: {
      PATH: process.env.PATH,
      APP_ID: "4242",
      PRIVATE_KEY: testPrivateKey(),
      WEBHOOK_SECRET: SECRET,
      PIKACI_STATE_ROOT: options.stateRoot,
      PIKACI_API_TOKEN: "api-token-for-tests-0123456789",
      PIKACI_PUBLIC_URL: PUBLIC_URL,
      PORT: String(port),
      HOST: "127.0.0.1",
      PIKACI_GITHUB_API_URL: options.githubUrl,
      PIKACI_GITHUB_WRITE_THROTTLE: "off",
      LOG_LEVEL: "info",
      LOG_FORMAT: "json",
      ...options.env,
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  child.stdout!.on("data", (c) => {
    output += c;
  });
  child.stderr!.on("data", (c) => {
    output += c;
  });
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 30_000;
  while (
    !(await fetch(`${url}/pikaci/healthz`).then(
      (r) => r.ok,
      () => false,
    ))
  ) {
    if (Date.now() > deadline || child.exitCode !== null)
      throw new Error(`the App process did not start:\n${output}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    url,
    child,
    output: () => output,
    stop: async () => {
      if (child.exitCode !== null) return;
      const exited = new Promise((r) => child.once("exit", r));
      child.kill("SIGTERM");
      await exited;
    },
  };
}

/** A signed webhook delivery, as GitHub sends it. */
export async function deliver(
  url: string,
  delivery: { id: string; name: string; payload: unknown },
): Promise<number> {
  const body = JSON.stringify(delivery.payload);
  const res = await fetch(`${url}/api/github/webhooks`, {
    method: "POST",
    body,
    headers: {
      "content-type": "application/json",
      "x-github-event": delivery.name,
      "x-github-delivery": delivery.id,
      "x-hub-signature-256": sign(body),
    },
  });
  await res.arrayBuffer();
  return res.status;
}
