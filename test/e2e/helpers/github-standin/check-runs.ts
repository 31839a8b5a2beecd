/**
 * Check runs as GitHub keeps them. A completed check run stays completed: GitHub names no way to
 * move it back, and an update that tries (a new status or conclusion) changes nothing — the first
 * conclusion stands. Such attempts are recorded in `lateUpdates` with what their sender had last
 * read of the run, so a test can tell a client that ignored what it read (a defect) from one whose
 * read came a moment before another writer concluded the run (a race GitHub settles by keeping the
 * first conclusion). Output updates (annotation batches) on a completed run are accepted, as GitHub does.
 */
export type Json = Record<string, unknown>;

export interface CheckRun {
  id: number;
  app_id: number;
  name: string;
  head_sha: string;
  external_id: string | null;
  details_url: string | null;
  status: string;
  conclusion: string | null;
  started_at: string;
  completed_at: string | null;
  output: { title: string | null; summary: string | null; text: string | null; annotations: Json[] };
  actions: Json[];
  /** Every create/update body, in order. */
  updates: Json[];
  /**
   * Updates that tried to change the status or conclusion of an already completed run, who sent
   * them, and whether the sender had read the run since it completed (`sawCompleted`): then it
   * wrote over what it knew was final.
   */
  lateUpdates: { by: string; body: Json; sawCompleted: boolean }[];
  /** Who read the run (GET) and what status they were shown. */
  reads: { by: string; status: string }[];
  /** Who concluded it: `app`, or `workflow run <id>` (a token the workflow minted). */
  concludedBy: string | null;
}

const iso = () => new Date().toISOString().replace(/\.\d+Z$/, "Z");

export function createCheckRunStore() {
  const runs = new Map<number, CheckRun>();
  let nextId = 7001;

  function apply(run: CheckRun, body: Json, by: string): void {
    const wasCompleted = run.status === "completed";
    const newStatus = body.conclusion !== undefined ? "completed" : (body.status as string | undefined);
    if (wasCompleted) {
      const changes =
        (newStatus !== undefined && newStatus !== "completed") ||
        (body.conclusion !== undefined && body.conclusion !== run.conclusion);
      if (changes || newStatus === "completed") {
        const sawCompleted = run.reads.some((r) => r.by === by && r.status === "completed");
        run.lateUpdates.push({ by, body, sawCompleted });
      }
    } else {
      if (newStatus) run.status = newStatus;
      if (body.conclusion !== undefined) run.conclusion = body.conclusion as string;
      if (run.status === "completed") {
        run.completed_at = (body.completed_at as string | undefined) ?? iso();
        run.concludedBy = by;
      }
    }
    for (const key of ["name", "details_url", "external_id"] as const) {
      if (typeof body[key] === "string") (run as unknown as Json)[key] = body[key];
    }
    const output = body.output as Json | undefined;
    if (output) {
      if (typeof output.title === "string") run.output.title = output.title;
      if (typeof output.summary === "string") run.output.summary = output.summary;
      if (typeof output.text === "string") run.output.text = output.text;
      run.output.annotations.push(...((output.annotations as Json[] | undefined) ?? []));
    }
    if (Array.isArray(body.actions)) run.actions = body.actions as Json[];
    run.updates.push(body);
  }

  return {
    runs,
    create(appId: number, body: Json, by: string): CheckRun {
      const run: CheckRun = {
        id: nextId++,
        app_id: appId,
        name: String(body.name),
        head_sha: String(body.head_sha),
        external_id: null,
        details_url: null,
        status: "queued",
        conclusion: null,
        started_at: (body.started_at as string | undefined) ?? iso(),
        completed_at: null,
        output: { title: null, summary: null, text: null, annotations: [] },
        actions: [],
        updates: [],
        lateUpdates: [],
        reads: [],
        concludedBy: null,
      };
      runs.set(run.id, run);
      apply(run, body, by);
      return run;
    },
    update: apply,
    read(run: CheckRun, by: string): void {
      run.reads.push({ by, status: run.status });
    },
    /** GitHub's `filter=latest`: the most recently created run of each name. */
    forRef(sha: string, query: { filter?: string; app_id?: string; check_name?: string; status?: string }) {
      let list = [...runs.values()].filter((r) => r.head_sha === sha);
      if (query.app_id) list = list.filter((r) => r.app_id === Number(query.app_id));
      if (query.check_name) list = list.filter((r) => r.name === query.check_name);
      if (query.status) list = list.filter((r) => r.status === query.status);
      if ((query.filter ?? "latest") === "latest") {
        const newest = new Map<string, CheckRun>();
        for (const r of list) if ((newest.get(r.name)?.id ?? 0) < r.id) newest.set(r.name, r);
        list = [...newest.values()];
      }
      return list.sort((a, b) => b.id - a.id);
    },
  };
}

export type CheckRunStore = ReturnType<typeof createCheckRunStore>;
