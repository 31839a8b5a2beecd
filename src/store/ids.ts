import { randomBytes } from "node:crypto";
import { InvalidIdError } from "../errors/index.js";
import { ID_MAX_LENGTH, ID_PATTERN, RUN_ID_PATTERN } from "../schema/index.js";

/** `20260324T162238Z-1a2b3c4d`: sorts by time, unique enough across hosts. */
export function newRunId(
  now: Date = new Date(),
  random: () => string = () => randomBytes(4).toString("hex"),
): string {
  const stamp = now
    .toISOString()
    .replace(/[-:]/g, "")
    .replace(/\.\d{3}Z$/, "Z");
  const id = `${stamp}-${random()}`;
  assertRunId(id);
  return id;
}

export function assertRunId(id: unknown): asserts id is string {
  assertSafeSegment(id, "run id");
  if (!RUN_ID_PATTERN.test(id)) {
    throw new InvalidIdError(`invalid run id ${show(id)}: run ids look like 20260324T162238Z-1a2b3c4d`, {
      hint: "copy the run id from `pikaci status` or the run's page",
    });
  }
}

export function assertJobId(id: unknown): asserts id is string {
  assertSafeSegment(id, "job id");
  if (!ID_PATTERN.test(id)) {
    throw new InvalidIdError(
      `invalid job id ${show(id)}: use letters, digits, '.', '_' and '-', not starting with '.' or '-'`,
      { hint: "job ids are the lane ids from .github/pikaci.yml" },
    );
  }
}

/** The reasons an id could escape or confuse the store, each with its own message. */
function assertSafeSegment(id: unknown, what: string): asserts id is string {
  const hint = `pass a ${what} as listed by \`pikaci status\``;
  if (typeof id !== "string")
    throw new InvalidIdError(`${what} must be a string, got ${typeof id}`, { hint });
  if (id === "") throw new InvalidIdError(`${what} is empty`, { hint });
  if (id.length > ID_MAX_LENGTH) {
    throw new InvalidIdError(
      `${what} is ${id.length} characters long; at most ${ID_MAX_LENGTH} are allowed`,
      { hint },
    );
  }
  if (id.includes("\0")) throw new InvalidIdError(`${what} contains a NUL byte`, { hint });
  if (id.includes("/") || id.includes("\\")) {
    throw new InvalidIdError(`${what} ${show(id)} contains a path separator`, { hint });
  }
  if (id.includes("..")) throw new InvalidIdError(`${what} ${show(id)} contains '..'`, { hint });
  if (id.startsWith(".")) throw new InvalidIdError(`${what} ${show(id)} starts with '.'`, { hint });
}

function show(id: string): string {
  return JSON.stringify(id);
}
