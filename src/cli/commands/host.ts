import { existsSync } from "node:fs";
import { resolve } from "node:path";
import { loadConfigFile, resolveLanes } from "../../config/index.js";
import { UsageError } from "../../errors/index.js";
import { DEFAULT_RUNNER_PATH } from "../../executor/incus/guest.js";
import { DEFAULT_REMOTE_WORK_DIR } from "../../executor/incus-executor.js";
import {
  assessHost,
  type Expectations,
  gatherHostFacts,
  HostCheckReport,
  isHealthy,
  renderHostCheck,
} from "../../host-check/index.js";
import { DEFAULT_CONFIG_PATH, DEFAULT_IMAGE, GuestResult } from "../../schema/index.js";
import { parseCommandArgs } from "../args.js";
import type { CliIO, Command } from "../io.js";
import { connectToHost, HOST_CONNECTION_OPTIONS } from "./host-connection.js";

const GIB = 1024 ** 3;

export const hostCommand: Command = {
  name: "host",
  summary:
    "check a build host (`host check`): Incus, storage pool, images and their runner, work dir, shell, warm pool",
  usage: `Usage: pikaci host check --host ssh://user@host:port|localhost [--image ALIAS]... [--config FILE]
                        [--incus-project NAME] [--remote-work-dir DIR] [--runner-path PATH]
                        [--json] [--strict] [--ssh-key FILE] [--known-hosts FILE]
                        [--host-key-fingerprint SHA256:...]

The build host doctor. Reports the Incus version; the storage driver new instances get (a
warning on \`dir\`, with its measured cost); whether each image exists and holds the guest runner
at the contract path, speaking this pikaci's guest contract version (each is launched once, as a
throw-away container, to run the runner on \`true\`); the remote work dir and its free space; what
one remote command costs (the account's shell start-up); and the warm pool's members.
Images are --image's, else every lane's image in the config, else ${DEFAULT_IMAGE}.
Every warning and problem comes with its fix. Exits 1 on a problem (with --strict, on a
warning too), else 0. See docs/build-host.md.

Options:
      --host URL                  build host, ssh://user@host:port (or localhost)
      --image ALIAS               image to check (repeatable)
      --config FILE               config whose lanes' images to check (default ${DEFAULT_CONFIG_PATH} if present)
      --incus-project NAME        Incus project (default: Incus's default)
      --remote-work-dir DIR       work dir on the build host (default ${DEFAULT_REMOTE_WORK_DIR})
      --runner-path PATH          the guest runner's path in the image (default ${DEFAULT_RUNNER_PATH})
      --json                      print the report as JSON (schema: HostCheckReport)
      --strict                    warnings fail the check too
      --ssh-key FILE              private key for the build host (or PIKACI_SSH_KEY)
      --known-hosts FILE          known_hosts line(s) pinning the host key
      --host-key-fingerprint FP   pin the host key by SHA256:... fingerprint
  -h, --help                      show this help`,
  async run(args, io) {
    const [sub, ...rest] = args;
    if (sub === "check") return check(rest, io);
    throw new UsageError(
      sub ? `unknown subcommand \`pikaci host ${sub}\`` : "pikaci host needs a subcommand",
      {
        hint: "use `pikaci host check --host ssh://user@host:port` (see `pikaci host --help`)",
      },
    );
  },
};

async function check(args: string[], io: CliIO): Promise<number> {
  const { values } = parseCommandArgs("host check", args, {
    ...HOST_CONNECTION_OPTIONS,
    image: { type: "string", multiple: true },
    config: { type: "string" },
    "incus-project": { type: "string" },
    "remote-work-dir": { type: "string", default: DEFAULT_REMOTE_WORK_DIR },
    "runner-path": { type: "string", default: DEFAULT_RUNNER_PATH },
    json: { type: "boolean", default: false },
    strict: { type: "boolean", default: false },
  });
  const images = await imagesToCheck({ images: values.image, config: values.config, cwd: io.cwd });
  const transport = await connectToHost("host check", values, io.env);
  try {
    const facts = await gatherHostFacts({
      transport,
      project: values["incus-project"],
      remoteWorkDir: values["remote-work-dir"],
      images,
      runnerPath: values["runner-path"],
      log: values.json ? undefined : (line) => io.stderr.write(`pikaci: ${line}\n`),
    });
    const findings = assessHost(facts, expectations(values["runner-path"]));
    const report = HostCheckReport.parse({
      schema_version: 1,
      healthy: isHealthy(findings, values.strict),
      facts,
      findings,
    });
    io.stdout.write(values.json ? `${JSON.stringify(report, null, 2)}\n` : renderHostCheck(report));
    return report.healthy ? 0 : 1;
  } finally {
    await transport.close();
  }
}

function expectations(runnerPath: string): Expectations {
  return {
    runnerPath,
    // The one result.json version this pikaci parses is the guest contract it speaks.
    contractVersion: GuestResult.shape.schema_version.value,
    minFreeBytes: 1 * GIB,
    lowFreeBytes: 10 * GIB,
    // A bare sh or bash starts in a few ms; `pyenv init` in ~/.bashrc cost 90 (docs/incus-notes.md).
    shellStartupMs: 30,
    slowCommandMs: 250,
  };
}

async function imagesToCheck(params: { images?: string[]; config?: string; cwd: string }): Promise<string[]> {
  if (params.images?.length) return [...new Set(params.images)];
  const file = params.config ?? DEFAULT_CONFIG_PATH;
  if (params.config === undefined && !existsSync(resolve(params.cwd, file))) return [DEFAULT_IMAGE];
  const { config } = await loadConfigFile(file, { cwd: params.cwd });
  return [...new Set(resolveLanes(config).map((lane) => lane.execute.image))];
}
