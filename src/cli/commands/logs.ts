import path from "node:path";
import { PikaciError, UsageError } from "../../errors/index.js";
import { createStateStore, resolveStateRoot } from "../../store/index.js";
import { parseCommandArgs } from "../args.js";
import type { Command } from "../io.js";

const KINDS = ["host", "guest", "both"] as const;

export const logsCommand: Command = {
  name: "logs",
  summary: "print the logs of a recorded run: host.log (what pikaci did) and guest.log (the lane's output)",
  usage: `Usage: pikaci logs RUN_ID [--job ID] [--kind host|guest|both] [--state-root DIR]

Prints the logs of every job of the run, or of one job, each under a header naming it.

Options:
      --job ID           only this job (lane id)
      --kind KIND        host, guest or both (default: both)
      --state-root DIR   where runs are recorded (default: $PIKACI_STATE_ROOT or ./.pikaci)
  -h, --help             show this help`,
  async run(args, io) {
    const { values, positionals } = parseCommandArgs(
      "logs",
      args,
      {
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
    if (values.job && !run.jobs.some((job) => job.lane_id === values.job)) {
      throw new UsageError(`run ${runId} has no job \`${values.job}\``, {
        hint: `jobs: ${run.jobs.map((job) => job.lane_id).join(", ")}`,
      });
    }
    const logs = await store.loadLogs(runId, { ...(values.job ? { job: values.job } : {}), kind });
    if (logs.length === 0) {
      io.stderr.write(
        `no ${kind === "both" ? "" : `${kind} `}logs for ${values.job ?? "any job"} of run ${runId}\n`,
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
