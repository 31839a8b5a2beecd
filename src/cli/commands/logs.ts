import path from "node:path";
import { PikaciError, UsageError } from "../../errors/index.js";
import { createStateStore, resolveStateRoot } from "../../store/index.js";
import { parseCommandArgs } from "../args.js";
import type { CliIO, Command } from "../io.js";

const KINDS = ["host", "guest", "both"] as const;

export const logsCommand: Command = {
  name: "logs",
  summary: "print the logs of a recorded run: host.log (what pikaci did) and guest.log (the lane's output)",
  usage: `Usage: pikaci logs RUN_ID [--lane ID] [--kind host|guest|both] [--state-root DIR]

Prints the logs of every job of the run (one per lane), or of one lane's job, each under a
header naming the lane.

Options:
      --lane ID          only this lane (--job ID is an older alias of --lane)
      --kind KIND        host, guest or both (default: both)
      --state-root DIR   where runs are recorded (default: $PIKACI_STATE_ROOT or ./.pikaci)
  -h, --help             show this help`,
  async run(args, io) {
    const { values, positionals } = parseCommandArgs(
      "logs",
      args,
      {
        lane: { type: "string" },
        job: { type: "string" },
        kind: { type: "string", default: "both" },
        "state-root": { type: "string" },
      },
      true,
    );
    const [runId, extra] = positionals;
    if (!runId || extra !== undefined) {
      throw new UsageError("pikaci logs needs exactly one RUN_ID", { hint: "find it with `pikaci status`" });
    }
    const kind = KINDS.find((k) => k === values.kind);
    if (!kind)
      throw new UsageError(`pikaci logs: --kind must be host, guest or both, got \`${values.kind}\``);
    const root = values["state-root"]
      ? path.resolve(io.cwd, values["state-root"])
      : resolveStateRoot(io.env, io.cwd);
    const store = createStateStore({ root });
    const run = await store.loadRunRecord(runId);
    if (!run)
      throw new PikaciError(`no run ${runId} under ${root}`, {
        hint: "check the id with `pikaci status`, or pass --state-root",
      });
    const lane = laneOption(values, io);
    if (lane && !run.jobs.some((job) => job.lane_id === lane)) {
      throw new UsageError(`run ${runId} has no lane \`${lane}\``, {
        hint: `lanes: ${run.jobs.map((job) => job.lane_id).join(", ")}`,
      });
    }
    const logs = await store.loadLogs(runId, { ...(lane ? { job: lane } : {}), kind });
    if (logs.length === 0) {
      io.stderr.write(
        `no ${kind === "both" ? "" : `${kind} `}logs for ${lane ?? "any lane"} of run ${runId}\n`,
      );
      return 1;
    }
    for (const log of logs) {
      io.stdout.write(
        `==> ${log.job_id} ${log.kind}.log <==\n${log.text}${log.text.endsWith("\n") || !log.text ? "" : "\n"}`,
      );
    }
    return 0;
  },
};

/** `--lane`, or its older spelling `--job` (a job is one lane's execution, named by the lane's id). */
function laneOption(
  values: { lane?: string | undefined; job?: string | undefined },
  io: Pick<CliIO, "stderr">,
) {
  if (values.job === undefined) return values.lane;
  if (values.lane !== undefined && values.lane !== values.job) {
    throw new UsageError("pikaci logs: --job is an alias of --lane; give one of them", {
      hint: "use --lane ID",
    });
  }
  io.stderr.write("pikaci logs: --job is an alias of --lane; use --lane\n");
  return values.job;
}
