import { z } from "zod";

/** Run ids sort by time and are unique enough across hosts: `20260324T162238Z-1a2b3c4d`. */
export const RUN_ID_PATTERN = /^\d{8}T\d{6}Z-[0-9a-f]{8}$/;

/**
 * Lane and job ids become path segments, device names and check-run names, so they are
 * deliberately narrow: letters, digits, `.`, `_`, `-`; not starting with `.` or `-`.
 */
export const ID_PATTERN = /^[A-Za-z0-9_][A-Za-z0-9._-]*$/;
export const ID_MAX_LENGTH = 64;

export const RunId = z.string().regex(RUN_ID_PATTERN, "run id must look like 20260324T162238Z-1a2b3c4d");
export const LaneId = z
  .string()
  .min(1)
  .max(ID_MAX_LENGTH)
  .regex(ID_PATTERN, "ids use letters, digits, '.', '_' and '-', and do not start with '.' or '-'");
