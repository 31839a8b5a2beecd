import { parseConfig } from "../../../src/config/index.js";
import { ConfigError } from "../../../src/errors/index.js";
import { DEFAULT_CONFIG_PATH, type PikaciConfig } from "../../../src/schema/index.js";
import type { EventScope } from "./deps.js";

export type LoadedConfig =
  | { kind: "missing" }
  | { kind: "invalid"; error: ConfigError }
  | { kind: "ok"; config: PikaciConfig };

/** `.github/pikaci.yml` at an exact commit (never the default branch's copy). */
export async function loadConfigAt(scope: Pick<EventScope, "port">, ref: string): Promise<LoadedConfig> {
  const text = await scope.port.readFile(DEFAULT_CONFIG_PATH, ref);
  if (text === null) return { kind: "missing" };
  const cached = parsed.get(text);
  if (cached) return cached;
  let result: LoadedConfig;
  try {
    result = { kind: "ok", config: parseConfig(text, DEFAULT_CONFIG_PATH) };
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    result = { kind: "invalid", error };
  }
  // Most pushes do not touch the config: the same text parses to the same result. Never mutated.
  if (parsed.size >= PARSE_CACHE_SIZE) parsed.delete(parsed.keys().next().value!);
  parsed.set(text, result);
  return result;
}

const PARSE_CACHE_SIZE = 64;
const parsed = new Map<string, LoadedConfig>();
