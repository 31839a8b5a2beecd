/**
 * The env file `pikaci app register` writes must mean the same to systemd's `EnvironmentFile=` as
 * to Node: renders one with a real PEM, has systemd's own env-file parser read it (the
 * environment.d generator shares it with EnvironmentFile=), and checks that the App's environment
 * loader gets the PEM and secrets back byte for byte. Run by scripts/check-systemd.sh.
 */
import { execFileSync } from "node:child_process";
import { generateKeyPairSync } from "node:crypto";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { loadAppEnv } from "../app/src/env.js";
import { newApiToken, renderEnvFile } from "../src/cli/app/env-file.js";

const generator =
  process.argv[2] ?? "/usr/lib/systemd/user-environment-generators/30-systemd-environment-d-generator";
const pem = generateKeyPairSync("rsa", { modulusLength: 2048 }).privateKey.export({
  type: "pkcs1",
  format: "pem",
}) as string;
const values = {
  APP_ID: "4242",
  PRIVATE_KEY: pem,
  WEBHOOK_SECRET: "e340154128314309424b7c8e90325147d99fdafa",
  PIKACI_API_TOKEN: newApiToken(),
  PIKACI_PUBLIC_URL: "https://ci.example.org",
  PIKACI_STATE_ROOT: "/var/lib/pikaci",
};
const home = mkdtempSync(path.join(tmpdir(), "pikaci-envfile-"));
try {
  mkdirSync(path.join(home, "environment.d"));
  writeFileSync(path.join(home, "environment.d", "50-pikaci.conf"), renderEnvFile(values, "check"));
  // The generator prints KEY=VALUE lines in its own quoting; run them through a shell to read them.
  const printed = execFileSync(generator, { env: { XDG_CONFIG_HOME: home }, encoding: "utf8" });
  const env = JSON.parse(
    execFileSync(
      "sh",
      ["-c", `set -a; eval "$PRINTED"; exec node -e 'console.log(JSON.stringify(process.env))'`],
      {
        env: { PRINTED: printed, PATH: process.env.PATH ?? "" },
        encoding: "utf8",
      },
    ),
  ) as NodeJS.ProcessEnv;
  const app = loadAppEnv(env);
  const problems = [
    app.privateKey !== pem && "PRIVATE_KEY",
    app.webhookSecret !== values.WEBHOOK_SECRET && "WEBHOOK_SECRET",
    app.apiToken !== values.PIKACI_API_TOKEN && "PIKACI_API_TOKEN",
    String(app.appId) !== values.APP_ID && "APP_ID",
  ].filter(Boolean);
  if (problems.length > 0) {
    console.error(`FAIL systemd reads the env file differently: ${problems.join(", ")}`);
    process.exit(1);
  }
  console.log("ok   systemd's env-file parser reads `pikaci app register`'s env file as the App does");
} finally {
  rmSync(home, { recursive: true, force: true });
}
