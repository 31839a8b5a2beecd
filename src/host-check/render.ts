import type { HostCheckReport, HostCheckReports } from "./report.js";

const LABEL = { ok: "ok", warn: "WARN", problem: "PROBLEM" } as const;

/** The report for a person: one line per finding, its fix under each warning and problem. */
export function renderHostCheck(report: HostCheckReport): string {
  const { facts, findings } = report;
  const lines = [
    `pikaci host check: ${facts.host}${facts.project ? ` (Incus project ${facts.project})` : ""}`,
  ];
  for (const finding of findings) {
    lines.push(`  ${LABEL[finding.level].padEnd(8)}${finding.check.padEnd(10)}${finding.message}`);
    if (finding.fix) lines.push(`  ${"".padEnd(18)}fix: ${finding.fix}`);
  }
  const problems = findings.filter((f) => f.level === "problem").length;
  const warnings = findings.filter((f) => f.level === "warn").length;
  lines.push(
    problems + warnings === 0
      ? "healthy"
      : `${problems} problem(s), ${warnings} warning(s)${report.healthy ? " (healthy; --strict counts warnings)" : ""}`,
  );
  return `${lines.join("\n")}\n`;
}

/** Problems always make the check fail; warnings only with `strict`. */
export function isHealthy(findings: HostCheckReport["findings"], strict: boolean): boolean {
  return !findings.some((f) => f.level === "problem" || (strict && f.level === "warn"));
}

/** Several hosts: each one's report (or why it could not be checked), then one line for them all. */
export function renderHostChecks(reports: HostCheckReports): string {
  const blocks = reports.hosts.map((entry) =>
    entry.report
      ? renderHostCheck(entry.report)
      : `pikaci host check: ${entry.url}\n  could not check this host: ${entry.error?.replaceAll("\n", "\n  ")}\n`,
  );
  const healthy = reports.hosts.filter((entry) => entry.report?.healthy === true).length;
  const total = reports.hosts.length;
  return `${blocks.join("\n")}\n${healthy} of ${total} hosts healthy\n`;
}
