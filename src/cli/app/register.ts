import { randomBytes, timingSafeEqual } from "node:crypto";
import { createServer, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { newApiToken, renderEnvFile, writeSecretFile } from "./env-file.js";
import { type AppCredentials, exchangeManifestCode } from "./exchange.js";
import { buildManifest, creationFormUrl, escapeHtml, registrationPage } from "./manifest.js";

export interface RegisterParams {
  appYml: string;
  publicUrl: string;
  envFile: string;
  stateRoot: string;
  /** https://github.com, or GHES's web address. */
  githubUrl: string;
  /** The REST API: https://api.github.com, GHES's /api/v3, or a stand-in. */
  githubApiUrl: string;
  /** Written to the env file only when it is not api.github.com (GHES). */
  writeApiUrl: boolean;
  org?: string;
  name?: string;
  host: string;
  port: number;
  webhookPath: string;
  /** Told the page's address once listening, and each step after (never a secret). */
  say: (line: string) => void;
}

const CALLBACK = "/pikaci/registered";

/**
 * GitHub's manifest flow: a local page posts the manifest to GitHub's creation form with a random
 * `state`; GitHub sends the browser back to CALLBACK with `code` and that `state`; the code is
 * exchanged for the App's credentials, which go to a 0600 env file. Resolves once that is written.
 */
export async function registerApp(params: RegisterParams): Promise<AppCredentials> {
  const state = randomBytes(16).toString("hex");
  const server = createServer();
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(params.port, params.host, resolve);
  });
  const { port } = server.address() as AddressInfo;
  const local = `http://${params.host === "0.0.0.0" ? "127.0.0.1" : params.host}:${port}`;
  const manifest = buildManifest({ ...params, redirectUrl: `${local}${CALLBACK}` });
  const page = registrationPage({
    formUrl: creationFormUrl({ githubUrl: params.githubUrl, org: params.org, state }),
    manifest,
  });
  params.say(`open ${local}/ in a browser signed in to GitHub, and create the App there`);
  try {
    return await new Promise<AppCredentials>((resolve, reject) => {
      let busy = false;
      server.on("request", (req, res) => {
        const url = new URL(req.url ?? "/", local);
        if (req.method === "GET" && url.pathname === "/") return html(res, 200, page);
        if (req.method !== "GET" || url.pathname !== CALLBACK) return html(res, 404, "not found");
        const code = url.searchParams.get("code");
        if (!code || !sameState(url.searchParams.get("state"), state)) {
          params.say("ignored a callback without a code or with the wrong state");
          return html(res, 400, "This link does not belong to this registration: start again from /.");
        }
        if (busy) return html(res, 409, "The App is already being saved.");
        busy = true;
        finish(params, code).then(
          (app) => {
            html(res, 200, donePage(app, params.envFile));
            resolve(app);
          },
          (error: unknown) => {
            html(res, 502, "Saving the App failed; see the terminal.");
            reject(error);
          },
        );
      });
    });
  } finally {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }
}

async function finish(params: RegisterParams, code: string): Promise<AppCredentials> {
  params.say("GitHub created the App; fetching its credentials");
  const app = await exchangeManifestCode({ code, baseUrl: params.githubApiUrl });
  const values: Record<string, string> = {
    APP_ID: String(app.id),
    PRIVATE_KEY: app.pem,
    WEBHOOK_SECRET: app.webhookSecret,
    PIKACI_API_TOKEN: newApiToken(),
    PIKACI_PUBLIC_URL: params.publicUrl,
    PIKACI_STATE_ROOT: params.stateRoot,
  };
  if (params.writeApiUrl) values.PIKACI_GITHUB_API_URL = params.githubApiUrl;
  const comment = `pikaci GitHub App ${app.slug || app.id} (${app.htmlUrl}), written by \`pikaci app register\`. Secret: keep it 0600.`;
  await writeSecretFile(params.envFile, renderEnvFile(values, comment));
  return app;
}

function sameState(got: string | null, want: string): boolean {
  if (got === null || got.length !== want.length) return false;
  return timingSafeEqual(Buffer.from(got), Buffer.from(want));
}

function html(res: ServerResponse, status: number, body: string): void {
  res.writeHead(status, { "content-type": "text/html; charset=utf-8", "cache-control": "no-store" });
  res.end(body);
}

function donePage(app: AppCredentials, envFile: string): string {
  const install = escapeHtml(`${app.htmlUrl}/installations/new`);
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>App registered</title></head>
<body><h1>Registered</h1><p>The credentials are in <code>${escapeHtml(envFile)}</code>.
Next, <a href="${install}">install the App</a> on your repositories.</p></body></html>
`;
}
