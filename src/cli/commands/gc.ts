import { describeError, UsageError } from "../../errors/index.js";
import { collectGarbage, DEFAULT_STALE_AFTER_SECS, type GcReport } from "../../executor/incus/gc.js";
import { DEFAULT_CACHE_UNUSED_DAYS, sweepUnusedCaches } from "../../executor/incus/gc-caches.js";
import { DEFAULT_REMOTE_WORK_DIR } from "../../executor/incus-executor.js";
import { parseDurationSecs } from "../../schema/index.js";
import { parseCommandArgs } from "../args.js";
import type { CliIO, Command } from "../io.js";
import { HOST_CONNECTION_OPTIONS, hostsToVisit, visitHosts } from "./host-connection.js";

export const gcCommand: Command = {
  name: "gc",
  summary: "remove pikaci Incus instances whose run is gone or too old, and stale snapshot uploads",
  usage: `Usage: pikaci gc --host ssh://user@host:port [--host …] [--older-than 6h] [--dry-run]
                 [--ssh-key FILE] [--known-hosts FILE] [--host-key-fingerprint SHA256:...]

Lists the build host's pikaci-* instances and deletes each one whose run is no longer
alive (its heartbeat under <remote-work-dir>/runs/<run_id>/heartbeat is missing or older
than --stale-after), or which is older than --older-than whatever its run says. Warm pool
members (pikaci-pool-*) go when their image alias now points at another image (or is gone)
or they are older than --older-than; gc claims each one first, so a member a job is taking
is never removed. Also deletes snapshot staging dirs and temp uploads older than an hour.
Prints what it removed. With several --host, each host is collected in turn; one that cannot
be reached is reported and the others are still collected (exit 1).

Options:
      --host URL                  build host, ssh://user@host:port (or localhost); repeatable,
                                  and ?project=NAME picks its Incus project
      --older-than DURATION       remove instances older than this (default 6h)
      --stale-after DURATION      a run is dead when its heartbeat is older (default ${DEFAULT_STALE_AFTER_SECS}s)
      --cache-unused-days N       remove keyed caches not restored or saved for N days (default ${DEFAULT_CACHE_UNUSED_DAYS})
      --dry-run                   only print what would be removed
      --ssh-key FILE              private key for the build host (or PIKACI_SSH_KEY)
      --known-hosts FILE          known_hosts line(s) pinning the host key (repeatable)
      --host-key-fingerprint FP   pin the host key by SHA256:... fingerprint
      --remote-work-dir DIR       work dir on the build host (default ${DEFAULT_REMOTE_WORK_DIR})
      --incus-project NAME        Incus project (default: Incus's default)
  -h, --help                      show this help`,
  async run(args, io) {
    const { values } = parseCommandArgs("gc", args, {
      ...HOST_CONNECTION_OPTIONS,
      "older-than": { type: "string", default: "6h" },
      "stale-after": { type: "string", default: `${DEFAULT_STALE_AFTER_SECS}s` },
      "dry-run": { type: "boolean", default: false },
      "cache-unused-days": { type: "string", default: String(DEFAULT_CACHE_UNUSED_DAYS) },
      "remote-work-dir": { type: "string", default: DEFAULT_REMOTE_WORK_DIR },
      "incus-project": { type: "string" },
    });
    const olderThanSecs = duration("--older-than", values["older-than"]);
    const staleAfterSecs = duration("--stale-after", values["stale-after"]);
    const days = cacheUnusedDays(values["cache-unused-days"]);
    const hosts = hostsToVisit("gc", values);
    const visits = await visitHosts({
      hosts,
      values,
      env: io.env,
      visit: async (transport, host) => {
        if (hosts.length > 1) io.stdout.write(`${transport.description}:\n`);
        const report = await collectGarbage({
          transport,
          remoteWorkDir: values["remote-work-dir"],
          project: host.project ?? values["incus-project"],
          olderThanSecs,
          staleAfterSecs,
          dryRun: values["dry-run"],
        });
        const caches = await sweepUnusedCaches({
          transport,
          remoteWorkDir: values["remote-work-dir"],
          days,
          dryRun: values["dry-run"],
        });
        printReport(io, { report, caches, days, where: transport.description });
      },
    });
    const failed = visits.filter((visit) => "error" in visit);
    for (const visit of failed) {
      io.stderr.write(`pikaci gc: ${visit.host.url} was not collected: ${describeError(visit.error)}\n`);
    }
    return failed.length === 0 ? 0 : 1;
  },
};

function cacheUnusedDays(value: string): number {
  const days = Number(value);
  if (!Number.isInteger(days) || days < 1) {
    throw new UsageError(`--cache-unused-days ${value} is not a whole number of days >= 1`, {
      hint: "e.g. --cache-unused-days 30",
    });
  }
  return days;
}

function printReport(
  io: Pick<CliIO, "stdout">,
  params: { report: GcReport; caches: readonly string[]; days: number; where: string },
): void {
  const { report, caches, days } = params;
  const verb = report.dryRun ? "would remove" : "removed";
  for (const path of caches) io.stdout.write(`${verb} ${path}: cache unused for over ${days} days\n`);
  for (const decision of report.instances) {
    io.stdout.write(`${decision.remove ? verb : "kept"} ${decision.name}: ${decision.reason}\n`);
  }
  for (const path of report.staleStaging) io.stdout.write(`${verb} ${path}: stale snapshot upload\n`);
  const removed = report.instances.filter((d) => d.remove).length;
  io.stdout.write(
    `${report.dryRun ? "dry run: " : ""}${removed} instance(s) and ${report.staleStaging.length} staging dir(s) ${verb} on ${params.where}\n`,
  );
}

function duration(flag: string, value: string): number {
  const secs = parseDurationSecs(/^\d+$/.test(value) ? Number(value) : value);
  if (secs === undefined) {
    throw new UsageError(`pikaci gc: ${flag} '${value}' is not a duration`, {
      hint: "use e.g. 90s, 30m, 6h or 1h30m",
    });
  }
  return secs;
}
