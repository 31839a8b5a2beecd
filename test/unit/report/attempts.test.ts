import { describe, expect, it } from "vitest";
import { renderRunPage } from "../../../src/pages/run-page.js";
import { renderFinalReport } from "../../../src/report/check-output.js";
import type { AttemptRecord } from "../../../src/schema/index.js";
import { job } from "../pages/fixtures.js";

const H1 = "ssh://ci@b1:22";
const H2 = "ssh://ci@b2:22?project=ci";
const attempts: AttemptRecord[] = [
  {
    attempt: 1,
    status: "failed",
    failure_kind: "infrastructure",
    exit_code: null,
    message: "ssh connection to build host ssh://ci@b2:22 lost: connection closed",
    started_at: "2026-03-24T16:22:38.000Z",
    finished_at: "2026-03-24T16:22:50.000Z",
    phases: [],
    host: H2,
  },
  {
    attempt: 2,
    status: "passed",
    failure_kind: null,
    exit_code: 0,
    message: null,
    started_at: "2026-03-24T16:22:51.000Z",
    finished_at: "2026-03-24T16:23:01.000Z",
    phases: [],
    host: H1,
  },
];
const retried = job("check-rust", { attempts, host: H1, duration_ms: 23_000, image: "pikaci-debian" });

describe("a lane retried on another host", () => {
  it("shows both attempts with their hosts in the check run's summary", () => {
    const { output } = renderFinalReport({ job: { ...retried, sync: null }, guestLog: "ok\n" });
    expect(output.summary).toContain(`host \`${H1}\``);
    expect(output.summary).toContain(
      `- attempt 1 on \`${H2}\`: failed (infrastructure) after 12s: ssh connection`,
    );
    expect(output.summary).toContain(`- attempt 2 on \`${H1}\`: passed after 10s`);
  });

  it("shows one attempt without an attempts section", () => {
    const { output } = renderFinalReport({
      job: { ...retried, sync: null, attempts: [attempts[1]!] },
      guestLog: "ok\n",
    });
    expect(output.summary).not.toContain("**Attempts**");
  });

  it("shows both attempts and every host's status on the run page", () => {
    const page = renderRunPage({
      run: {
        schema_version: 1,
        run_id: "20260324T162238Z-7ee67b97",
        status: "passed",
        git_head: null,
        git_dirty: null,
        created_at: "2026-03-24T16:22:38.000Z",
        finished_at: "2026-03-24T16:23:01.000Z",
        plan_path: null,
        changed_files: null,
        filters: [],
        message: null,
        prepare_timings: [],
        jobs: [retried],
        hosts: [
          { url: H1, status: "used", reason: null, capacity: 4, labels: ["x86_64"] },
          { url: H2, status: "lost", reason: "connect ECONNREFUSED", capacity: 4, labels: [] },
        ],
      },
      logs: new Map(),
      sig: "s",
      now: Date.now(),
    });
    expect(page).toContain(
      '<li data-attempt="1">attempt 1 on <span class="mono">ssh://ci@b2:22?project=ci</span>',
    );
    expect(page).toContain('<li data-attempt="2">attempt 2 on <span class="mono">ssh://ci@b1:22</span>');
    expect(page).toMatch(/<tr data-host="ssh:\/\/ci@b2:22\?project=ci">.*?lost.*?connect ECONNREFUSED/);
    expect(page).toContain("<h2>Build hosts</h2>");
  });
});
