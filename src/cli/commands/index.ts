import type { Command } from "../io.js";
import { appCommand } from "./app.js";
import { gcCommand } from "./gc.js";
import { hashCommand } from "./hash.js";
import { hostCommand } from "./host.js";
import { logsCommand } from "./logs.js";
import { planCommand } from "./plan.js";
import { runCommand } from "./run.js";
import { statusCommand } from "./status.js";
import { validateCommand } from "./validate.js";

/** Every `pikaci` command, in the order `pikaci --help` lists them. Append new commands here. */
export const commands: Command[] = [
  validateCommand,
  planCommand,
  runCommand,
  statusCommand,
  logsCommand,
  gcCommand,
  hostCommand,
  hashCommand,
  appCommand,
];
