import { readFile } from "node:fs/promises";
import path from "node:path";
import { UsageError } from "../../errors/index.js";
import { registerApp } from "../app/register.js";
import { serveApp } from "../app/serve.js";
import { parseCommandArgs } from "../args.js";
import type { CliIO, Command } from "../io.js";
import { packageRoot } from "../package-root.js";

const PUBLIC_API = "https://api.github.com";
const WEBHOOK_PATH = "/api/github/webhooks";

export const appCommand: Command = {
  name: "app",
  summary: "run the pikaci GitHub App (`app serve`) or register it on GitHub (`app register`)",
  usage: `Usage: pikaci app serve [--env-file FILE]
       pikaci app register --public-url URL [--org ORG] [--name NAME] [--env-file FILE]
                           [--state-root DIR] [--port N] [--github-url URL] [--github-api-url URL]

serve     starts the GitHub App (the compiled dist/app.js) with plain node. Its environment
          (APP_ID, PRIVATE_KEY, WEBHOOK_SECRET, PIKACI_STATE_ROOT, PIKACI_API_TOKEN,
          PIKACI_PUBLIC_URL, …; see docs/app.md) comes from the process and from --env-file
          (variables already set win). Prints where it listens, its public URL and its
          webhook path. A missing or bad variable exits 2 and names it.

register  registers a new GitHub App from app/app.yml with GitHub's manifest flow: serves a
          local page whose button posts the manifest to GitHub; after you confirm, GitHub sends
          the browser back with a code, which is exchanged for the App's id, private key and
          webhook secret. Those, a new PIKACI_API_TOKEN, PIKACI_PUBLIC_URL and
          PIKACI_STATE_ROOT are written to --env-file with mode 0600 (never printed).

Options:
      --env-file FILE         serve: read it; register: create it (default pikaci-app.env)
      --public-url URL        register: where the App will be reachable (https://ci.example.org)
      --org ORG               register: create the App in this organisation (default: your account)
      --name NAME             register: the App's name (unique on GitHub; default app.yml's)
      --state-root DIR        register: PIKACI_STATE_ROOT to write (default ./.pikaci, absolute)
      --port N                register: local port of the registration page (default 3001)
      --host ADDR             register: its address (default 127.0.0.1)
      --github-url URL        register: GitHub's web address (default https://github.com; GHES)
      --github-api-url URL    register: its REST API (default ${PUBLIC_API}, or PIKACI_GITHUB_API_URL)
  -h, --help                  show this help`,
  async run(args, io) {
    const [sub, ...rest] = args;
    if (sub === "serve") return serve(rest, io);
    if (sub === "register") return register(rest, io);
    throw new UsageError(sub ? `unknown subcommand \`pikaci app ${sub}\`` : "pikaci app needs a subcommand", {
      hint: "use `pikaci app serve` or `pikaci app register` (see `pikaci app --help`)",
    });
  },
};

async function serve(args: string[], io: CliIO): Promise<number> {
  const { values } = parseCommandArgs("app serve", args, { "env-file": { type: "string" } });
  await serveApp({ envFile: values["env-file"], io });
  return 0;
}

async function register(args: string[], io: CliIO): Promise<number> {
  const { values } = parseCommandArgs("app register", args, {
    "public-url": { type: "string" },
    org: { type: "string" },
    name: { type: "string" },
    "env-file": { type: "string", default: "pikaci-app.env" },
    "state-root": { type: "string", default: ".pikaci" },
    port: { type: "string", default: "3001" },
    host: { type: "string", default: "127.0.0.1" },
    "github-url": { type: "string", default: "https://github.com" },
    "github-api-url": { type: "string" },
  });
  const publicUrl = absoluteUrl("--public-url", values["public-url"] ?? io.env.PIKACI_PUBLIC_URL);
  const githubUrl = absoluteUrl("--github-url", values["github-url"]);
  const githubApiUrl = absoluteUrl(
    "--github-api-url",
    values["github-api-url"] ?? io.env.PIKACI_GITHUB_API_URL ?? PUBLIC_API,
  );
  const port = Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new UsageError(`--port ${values.port} is not a port number`, { hint: "pass 0 to 65535" });
  }
  const envFile = path.resolve(io.cwd, values["env-file"]);
  const app = await registerApp({
    appYml: await readFile(path.join(packageRoot(), "app", "app.yml"), "utf8"),
    publicUrl,
    envFile,
    stateRoot: path.resolve(io.cwd, values["state-root"]),
    githubUrl,
    githubApiUrl,
    writeApiUrl: githubApiUrl !== PUBLIC_API,
    org: values.org,
    name: values.name,
    host: values.host,
    port,
    webhookPath: WEBHOOK_PATH,
    say: (line) => io.stdout.write(`pikaci app register: ${line}\n`),
  });
  io.stdout.write(
    `registered App ${app.id} (${app.htmlUrl})\n` +
      `wrote APP_ID, PRIVATE_KEY, WEBHOOK_SECRET, PIKACI_API_TOKEN, PIKACI_PUBLIC_URL and PIKACI_STATE_ROOT to ${envFile} (mode 0600)\n` +
      `next: install it on your repositories at ${app.htmlUrl}/installations/new,\n` +
      `      then start it with \`npx pikaci app serve --env-file ${envFile}\`\n`,
  );
  return 0;
}

function absoluteUrl(flag: string, value: string | undefined): string {
  if (!value) throw new UsageError(`${flag} is required`, { hint: `pass ${flag} https://…` });
  try {
    const url = new URL(value);
    if (url.protocol !== "https:" && url.protocol !== "http:") throw new Error("not http(s)");
  } catch {
    throw new UsageError(`${flag} ${value} is not an absolute http(s) URL`, {
      hint: `pass ${flag} https://ci.example.org`,
    });
  }
  return value.replace(/\/+$/, "");
}
