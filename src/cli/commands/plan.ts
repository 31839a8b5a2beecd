import path from "node:path";
import { loadConfigFile } from "../../config/index.js";
import { UsageError } from "../../errors/index.js";
import { buildRunPlan } from "../../plan/index.js";
import { DEFAULT_CONFIG_PATH } from "../../schema/index.js";
import { parseCommandArgs } from "../args.js";
import type { Command } from "../io.js";

export const planCommand: Command = {
  name: "plan",
  summary: "show which lanes a change set selects, and the plan, as JSON (writes nothing)",
  usage: `Usage: pikaci plan [--config FILE] [--changed PATH]... [--all] [--lane ID]...

Prints { selection, plan } as JSON on stdout. Pure: reads the config, writes no file,
and does not look at git.

  Without --changed, the change set is unknown, so every lane is selected and each
  selection reason says "change detection unavailable". Pass the changed files to see
  path filtering, e.g. --changed docs/x.md --changed src/a.ts (paths are relative to
  the repository root). A changed config file selects every lane.

Options:
  -c, --config FILE    config file (default: ${DEFAULT_CONFIG_PATH})
      --changed PATH   a changed file; repeat for several
      --all            select every lane (same as giving no --changed)
      --lane ID        only consider this lane; repeat for several
  -h, --help           show this help`,
  async run(args, io) {
    const { values } = parseCommandArgs("plan", args, {
      config: { type: "string", short: "c", default: DEFAULT_CONFIG_PATH },
      changed: { type: "string", multiple: true },
      all: { type: "boolean", default: false },
      lane: { type: "string", multiple: true },
    });
    if (values.all && values.changed !== undefined) {
      throw new UsageError("pikaci plan: --all and --changed contradict each other", {
        hint: "pass either the changed files or --all",
      });
    }
    const { config } = await loadConfigFile(values.config, { cwd: io.cwd });
    const changedFiles = values.all ? null : (values.changed ?? null);
    const { selection, plan } = buildRunPlan(config, changedFiles, {
      configPath: repoRelative(values.config, io.cwd),
      ...(values.lane ? { laneIds: values.lane } : {}),
    });
    io.stdout.write(`${JSON.stringify({ selection, plan }, null, 2)}\n`);
    return 0;
  },
};

/** The config path as git would report it, so a change to it is recognised. */
function repoRelative(configPath: string, cwd: string): string {
  return path.relative(cwd, path.resolve(cwd, configPath)).split(path.sep).join("/");
}
