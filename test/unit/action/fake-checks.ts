import type {
  CheckRunCreate,
  CheckRunRef,
  CheckRunState,
  CheckRunUpdate,
  ChecksPort,
} from "../../../src/action/checks-port.js";

export type Call =
  | { kind: "create"; params: CheckRunCreate }
  | { kind: "update"; id: number; params: CheckRunUpdate }
  | { kind: "get"; id: number };

/**
 * A ChecksPort that records every call and keeps each check run's state the way GitHub does: a
 * completed check run stays completed with its first conclusion. `failWhen` makes chosen calls
 * throw like a 422 would; `concludeElsewhere` plays the App concluding a check run itself.
 */
export function recordingChecks(failWhen: (call: Call) => boolean = () => false) {
  const calls: Call[] = [];
  const states = new Map<number, CheckRunState>();
  let nextId = 1000;
  const ref = (id: number) => ({
    id,
    html_url: `https://github.test/o/r/runs/${id}`,
    ...(states.get(id) ?? { status: "queued", conclusion: null }),
  });
  const apply = (id: number, params: CheckRunUpdate) => {
    const now = states.get(id) ?? { status: "queued", conclusion: null };
    if (now.status === "completed") return;
    states.set(id, { status: params.status ?? now.status, conclusion: params.conclusion ?? now.conclusion });
  };
  const port: ChecksPort = {
    async create(params): Promise<CheckRunRef> {
      const call: Call = { kind: "create", params: structuredClone(params) };
      calls.push(call);
      if (failWhen(call)) throw Object.assign(new Error("Validation Failed"), { status: 422 });
      const id = nextId++;
      apply(id, params);
      return ref(id);
    },
    async update(id, params): Promise<CheckRunRef> {
      const call: Call = { kind: "update", id, params: structuredClone(params) };
      calls.push(call);
      if (failWhen(call)) throw Object.assign(new Error("Validation Failed"), { status: 422 });
      apply(id, params);
      return ref(id);
    },
    async get(id) {
      const call: Call = { kind: "get", id };
      calls.push(call);
      if (failWhen(call)) throw Object.assign(new Error("Server Error"), { status: 500 });
      return ref(id);
    },
  };
  const updates = (id?: number) =>
    calls.filter(
      (c): c is Extract<Call, { kind: "update" }> => c.kind === "update" && (id === undefined || c.id === id),
    );
  const concludeElsewhere = (id: number, conclusion: string) =>
    states.set(id, { status: "completed", conclusion });
  return { port, calls, updates, states, concludeElsewhere };
}
