import { loadConfigFile } from "../../config/index.js";
import { DEFAULT_CONFIG_PATH } from "../../schema/index.js";
import { parseCommandArgs } from "../args.js";
import type { Command } from "../io.js";

export const validateCommand: Command = {
  name: "validate",
  summary: "check .github/pikaci.yml and report every problem with file:line:col",
  usage: `Usage: pikaci validate [--config FILE]

Checks the config. Exit 0 when valid; exit 2 with one line per problem,
\`file:line:col: message (hint)\`, on stderr.

Options:
  -c, --config FILE   config file (default: ${DEFAULT_CONFIG_PATH}, relative to the current directory)
  -h, --help          show this help`,
  async run(args, io) {
    const { values } = parseCommandArgs("validate", args, {
      config: { type: "string", short: "c", default: DEFAULT_CONFIG_PATH },
    });
    const { config, file } = await loadConfigFile(values.config, { cwd: io.cwd });
    const count = config.lanes.length;
    io.stdout.write(`ok: ${count} ${count === 1 ? "lane" : "lanes"} (${file})\n`);
    return 0;
  },
};
