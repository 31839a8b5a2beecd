import { existsSync } from "node:fs";
import { resolve } from "node:path";
import { loadConfigFile, resolveLanes } from "../../config/index.js";
import { describeError, UsageError } from "../../errors/index.js";
import { DEFAULT_RUNNER_PATH } from "../../executor/incus/guest.js";
import { DEFAULT_REMOTE_WORK_DIR } from "../../executor/incus-executor.js";
import {
  assessHost,
  type Expectations,
  gatherHostFacts,
  HostCheckReport,
  HostCheckReports,
  isHealthy,
  renderHostCheck,
  renderHostChecks,
} from "../../host-check/index.js";
import { hostSpecFromConfig } from "../../placement/host-spec.js";
import { DEFAULT_CONFIG_PATH, DEFAULT_IMAGE, GuestResult, type PikaciConfig } from "../../schema/index.js";
import type { Transport } from "../../transport/transport.js";
import { parseCommandArgs } from "../args.js";
import type { CliIO, Command } from "../io.js";
import { HOST_CONNECTION_OPTIONS, type HostVisit, hostsToVisit, visitHosts } from "./host-connection.js";

const GIB = 1024 ** 3;

export const hostCommand: Command = {
  name: "host",
  summary:
    "check a build host (`host check`): Incus, storage pool, images and their runner, work dir, shell, warm pool",
  usage: `Usage: pikaci host check --host ssh://user@host:port|localhost [--host …] [--image ALIAS]... [--config FILE]
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
warning too), else 0. Several --host (or, without --host, the config's \`hosts:\`) are checked
in turn, each reported on its own, and the check passes only when every host does; with --json
they print as one HostCheckReports. See docs/build-host.md.

Options:
      --host URL                  build host, ssh://user@host:port (or localhost); repeatable,
                                  and ?project=NAME picks its Incus project
      --image ALIAS               image to check (repeatable)
      --config FILE               config whose lanes' images to check (default ${DEFAULT_CONFIG_PATH} if present)
      --incus-project NAME        Incus project (default: Incus's default)
      --remote-work-dir DIR       work dir on the build host (default ${DEFAULT_REMOTE_WORK_DIR})
      --runner-path PATH          the guest runner's path in the image (default ${DEFAULT_RUNNER_PATH})
      --json                      print the report as JSON (schema: HostCheckReport)
      --strict                    warnings fail the check too
      --ssh-key FILE              private key for the build host (or PIKACI_SSH_KEY)
      --known-hosts FILE          known_hosts line(s) pinning the host key (repeatable)
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
  // Only when it names something not given: --image and --host together need no config.
  const needsConfig = !values.image?.length || !values.host?.length || values.config !== undefined;
  const config = needsConfig ? await readConfig({ config: values.config, cwd: io.cwd }) : null;
  const images = imagesToCheck(values.image, config);
  const hosts = hostsToVisit("host check", values, (config?.hosts ?? []).map(hostSpecFromConfig));
  const visits = await visitHosts({
    hosts,
    values,
    env: io.env,
    visit: (transport, host) =>
      checkOne({
        transport,
        images,
        project: host.project ?? values["incus-project"],
        values,
        log: values.json ? undefined : progress(io, hosts.length > 1 ? `${host.url}: ` : ""),
      }),
  });
  if (hosts.length > 1) return printMany(io, { visits, json: values.json });
  const report = (visits[0] as { result: HostCheckReport }).result;
  io.stdout.write(values.json ? `${JSON.stringify(report, null, 2)}\n` : renderHostCheck(report));
  return report.healthy ? 0 : 1;
}

async function checkOne(params: {
  transport: Transport;
  images: string[];
  project: string | undefined;
  values: { "remote-work-dir": string; "runner-path": string; strict: boolean };
  log: ((line: string) => void) | undefined;
}): Promise<HostCheckReport> {
  const { values } = params;
  const facts = await gatherHostFacts({
    transport: params.transport,
    project: params.project,
    remoteWorkDir: values["remote-work-dir"],
    images: params.images,
    runnerPath: values["runner-path"],
    log: params.log,
  });
  const findings = assessHost(facts, expectations(values["runner-path"]));
  return HostCheckReport.parse({
    schema_version: 1,
    healthy: isHealthy(findings, values.strict),
    facts,
    findings,
  });
}

const progress = (io: CliIO, prefix: string) => (line: string) =>
  io.stderr.write(`pikaci: ${prefix}${line}\n`);

/** Several hosts: each one's report in turn, healthy (exit 0) only when every host is. */
function printMany(io: CliIO, params: { visits: HostVisit<HostCheckReport>[]; json: boolean }): number {
  const reports = HostCheckReports.parse({
    schema_version: 1,
    healthy: params.visits.every((visit) => "result" in visit && visit.result.healthy),
    hosts: params.visits.map((visit) =>
      "result" in visit
        ? { url: visit.host.url, report: visit.result, error: null }
        : { url: visit.host.url, report: null, error: describeError(visit.error) },
    ),
  });
  io.stdout.write(params.json ? `${JSON.stringify(reports, null, 2)}\n` : renderHostChecks(reports));
  return reports.healthy ? 0 : 1;
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

/** The config named by --config, else .github/pikaci.yml when there is one; null: no config. */
async function readConfig(params: { config?: string; cwd: string }): Promise<PikaciConfig | null> {
  const file = params.config ?? DEFAULT_CONFIG_PATH;
  if (params.config === undefined && !existsSync(resolve(params.cwd, file))) return null;
  return (await loadConfigFile(file, { cwd: params.cwd })).config;
}

function imagesToCheck(images: string[] | undefined, config: PikaciConfig | null): string[] {
  if (images?.length) return [...new Set(images)];
  if (config === null) return [DEFAULT_IMAGE];
  return [...new Set(resolveLanes(config).map((lane) => lane.execute.image))];
}
