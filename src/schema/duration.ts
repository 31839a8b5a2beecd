import { z } from "zod";

const UNIT_SECONDS: Record<string, number> = { s: 1, m: 60, h: 3600 };
const DURATION_PATTERN = /^(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?$/;

/** Parse `90`, `"90s"`, `"30m"`, `"1h30m"` into whole seconds; undefined when malformed. */
export function parseDurationSecs(value: number | string): number | undefined {
  if (typeof value === "number") return Number.isInteger(value) && value > 0 ? value : undefined;
  const match = DURATION_PATTERN.exec(value.trim());
  if (!match || value.trim() === "") return undefined;
  const [, h, m, s] = match;
  const total =
    Number(h ?? 0) * UNIT_SECONDS.h! + Number(m ?? 0) * UNIT_SECONDS.m! + Number(s ?? 0) * UNIT_SECONDS.s!;
  return total > 0 ? total : undefined;
}

/** A timeout in the config: whole seconds, or a duration string such as `30m` or `1h30m`. */
export const Duration = z
  .union([z.number().int().positive(), z.string().regex(DURATION_PATTERN)])
  .refine((value) => parseDurationSecs(value) !== undefined, {
    message: "expected seconds (e.g. 1800) or a duration such as 30m, 90s or 1h30m",
  })
  .meta({ title: "duration", description: "Whole seconds, or a duration such as `90s`, `30m`, `1h30m`." });
