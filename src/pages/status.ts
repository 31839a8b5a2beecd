import type { JobStatus, RunRecord, RunStatus } from "../schema/index.js";

const ICONS: Record<JobStatus | RunStatus, string> = {
  passed: "✓",
  failed: "✗",
  running: "●",
  queued: "○",
  skipped: "⊘",
  cancelled: "⊘",
};

export function statusIcon(status: JobStatus | RunStatus): string {
  return ICONS[status];
}

const REPO = /^[A-Za-z0-9_.-]+\/[A-Za-z0-9_.-]+$/;
const SHA = /^[0-9a-f]{7,64}$/;

/** Links to GitHub built only from values that look right; a record field is never trusted as a URL. */
export function githubLinks(
  run: Pick<RunRecord, "repository" | "pull_request" | "git_head" | "workflow_run_url">,
): { repo?: string; pull?: string; commit?: string; workflow?: string } {
  const links: ReturnType<typeof githubLinks> = {};
  if (run.repository && REPO.test(run.repository)) {
    const base = `https://github.com/${run.repository}`;
    links.repo = base;
    if (run.pull_request) links.pull = `${base}/pull/${run.pull_request}`;
    if (run.git_head && SHA.test(run.git_head)) links.commit = `${base}/commit/${run.git_head}`;
  }
  if (run.workflow_run_url?.startsWith("https://")) links.workflow = run.workflow_run_url;
  return links;
}
