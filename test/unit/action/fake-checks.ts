import type {
  CheckRunCreate,
  CheckRunRef,
  CheckRunUpdate,
  ChecksPort,
} from "../../../src/action/checks-port.js";

export type Call =
  | { kind: "create"; params: CheckRunCreate }
  | { kind: "update"; id: number; params: CheckRunUpdate };

/** A ChecksPort that records every call; `failWhen` makes chosen calls throw like a 422 would. */
export function recordingChecks(failWhen: (call: Call) => boolean = () => false) {
  const calls: Call[] = [];
  let nextId = 1000;
  const port: ChecksPort = {
    async create(params): Promise<CheckRunRef> {
      const call: Call = { kind: "create", params: structuredClone(params) };
      calls.push(call);
      if (failWhen(call)) throw Object.assign(new Error("Validation Failed"), { status: 422 });
      const id = nextId++;
      return { id, html_url: `https://github.test/o/r/runs/${id}` };
    },
    async update(id, params): Promise<CheckRunRef> {
      const call: Call = { kind: "update", id, params: structuredClone(params) };
      calls.push(call);
      if (failWhen(call)) throw Object.assign(new Error("Validation Failed"), { status: 422 });
      return { id, html_url: `https://github.test/o/r/runs/${id}` };
    },
  };
  const updates = (id?: number) =>
    calls.filter(
      (c): c is Extract<Call, { kind: "update" }> => c.kind === "update" && (id === undefined || c.id === id),
    );
  return { port, calls, updates };
}
