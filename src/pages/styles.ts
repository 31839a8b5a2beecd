import { createHash } from "node:crypto";
import { html } from "./html.js";

/**
 * The one stylesheet, inlined (no extra request) and allowed by its hash in the CSP, so pages need
 * neither 'unsafe-inline' nor a static file route. Written in the template's static part: no values.
 */
export const STYLE_ELEMENT = html`<style>
:root{--bg:#f6f8fa;--card:#fff;--fg:#1f2328;--muted:#59636e;--line:#d1d9e0;--pass:#1a7f37;--fail:#cf222e;
--run:#9a6700;--idle:#818b98;--link:#0969da;--logbg:#0d1117;--logfg:#e6edf3;--slow:#e16f24;
--mono:ui-monospace,SFMono-Regular,"SF Mono",Menlo,Consolas,"Liberation Mono",monospace}
*{box-sizing:border-box}
body{margin:0;background:var(--bg);color:var(--fg);font:14px/1.5 -apple-system,BlinkMacSystemFont,"Segoe UI","Noto Sans",Helvetica,Arial,sans-serif}
a{color:var(--link);text-decoration:none}a:hover{text-decoration:underline}
code,.mono{font-family:var(--mono);font-size:12.5px}
.top{background:#24292f;color:#fff;padding:10px 24px;display:flex;gap:14px;align-items:baseline;flex-wrap:wrap}
.top a{color:#fff}.brand{font-weight:700;letter-spacing:.3px}.top .sep{color:#8c959f}
main{max-width:1180px;margin:0 auto;padding:20px 24px 48px}
.card{background:var(--card);border:1px solid var(--line);border-radius:8px;margin:0 0 18px;overflow:hidden}
.card>h2{font-size:15px;margin:0;padding:10px 16px;border-bottom:1px solid var(--line);background:#f6f8fa}
.card>.body{padding:12px 16px}
.summary{padding:18px 20px;display:grid;gap:6px;border-left:6px solid var(--idle)}
.summary.s-passed{border-left-color:var(--pass)}.summary.s-failed{border-left-color:var(--fail)}
.summary.s-running{border-left-color:var(--run)}
.summary h1{margin:0;font-size:22px;display:flex;gap:10px;align-items:center;flex-wrap:wrap}
.pill{display:inline-block;border-radius:999px;padding:2px 10px;font-size:12px;font-weight:600;color:#fff;background:var(--idle)}
.pill.s-passed{background:var(--pass)}.pill.s-failed{background:var(--fail)}.pill.s-running{background:var(--run)}
.counts{display:flex;gap:14px;font-weight:600;margin:0}
.counts .s-passed{color:var(--pass)}.counts .s-failed{color:var(--fail)}.counts .s-running{color:var(--run)}
.counts span{color:var(--muted)}
.facts{color:var(--muted);margin:0;display:flex;flex-wrap:wrap;gap:4px 16px}.facts b{color:var(--fg);font-weight:600}
.message{margin:4px 0 0;color:var(--fail)}
table{border-collapse:collapse;width:100%}
th,td{text-align:left;padding:7px 16px;border-bottom:1px solid #eaeef2;vertical-align:top}
th{font-size:12px;color:var(--muted);font-weight:600;background:#fbfcfd}
tr:last-child td{border-bottom:0}td.num{font-variant-numeric:tabular-nums;white-space:nowrap}
.desc{color:var(--muted);font-size:12.5px}td .desc{display:inline;margin-left:8px}
.st{font-weight:600;white-space:nowrap}.st.s-passed{color:var(--pass)}.st.s-failed{color:var(--fail)}
.st.s-running{color:var(--run)}.st.s-queued,.st.s-skipped,.st.s-cancelled{color:var(--idle)}
.slow-note{color:var(--slow);font-weight:600}
.chart{overflow-x:auto;padding:8px 8px 4px}
svg.gantt{display:block;width:100%;height:auto;min-width:720px;font-family:var(--mono);font-size:11px}
.gantt .stripe{fill:#f6f8fa}.gantt .tick{stroke:#eaeef2}.gantt .tick-label{fill:var(--muted)}
.gantt .lane-label{fill:var(--fg);font-size:12px}.gantt .lane-label.s-failed{fill:var(--fail);font-weight:700}
.gantt .no-phases{fill:var(--idle);font-style:italic}
.bar{stroke:#fff;stroke-width:1}
.p-prepare_directories{fill:#8c959f}.p-sync_snapshot{fill:#54aeff}.p-prepare_runtime{fill:#a475f9}
.p-launch_guest{fill:#4ac26b}.p-wait_for_completion{fill:#2da44e}.p-collect_artifacts{fill:#d4a72c}
.p-cleanup{fill:#afb8c1}
.bar.s-failed{fill:var(--fail)}.bar.running{opacity:.75;stroke:var(--run);stroke-dasharray:4 2}
.bar.slow{stroke:var(--slow);stroke-width:2.5}
.bar-label{fill:#fff;font-size:10.5px;pointer-events:none}.bar-label.slow{font-weight:700}
.legend{display:flex;flex-wrap:wrap;gap:6px 16px;padding:4px 16px 12px;color:var(--muted);font-size:12px}
.sw{display:inline-block;width:11px;height:11px;border-radius:2px;margin-right:5px;vertical-align:-1px}
.sw.p-prepare_directories{background:#8c959f}.sw.p-sync_snapshot{background:#54aeff}
.sw.p-prepare_runtime{background:#a475f9}.sw.p-launch_guest{background:#4ac26b}
.sw.p-wait_for_completion{background:#2da44e}.sw.p-collect_artifacts{background:#d4a72c}
.sw.p-cleanup{background:#afb8c1}.sw.slow{background:#fff;border:2.5px solid var(--slow)}
.failure{padding:12px 16px;border-bottom:1px solid #eaeef2}.failure:last-child{border-bottom:0}
.failure h3{margin:0 0 6px;font-size:14px}
pre.log{margin:0;background:var(--logbg);color:var(--logfg);font:12px/1.45 var(--mono);padding:10px 14px;
white-space:pre-wrap;overflow-wrap:anywhere;border-radius:6px}
.logbox{display:flex;flex-direction:column-reverse;overflow:auto;max-height:520px;border-radius:6px;background:var(--logbg)}
details.job{border-bottom:1px solid #eaeef2}details.job:last-child{border-bottom:0}
details.job>summary{cursor:pointer;padding:9px 16px;display:flex;gap:12px;align-items:baseline;list-style:none}
details.job>summary::-webkit-details-marker{display:none}
details.job>summary::before{content:"▸";color:var(--muted);width:10px}details.job[open]>summary::before{content:"▾"}
details.job>summary:hover{background:#f6f8fa}
.job-body{padding:4px 16px 14px;display:grid;gap:12px}
.loghead{display:flex;gap:10px;align-items:baseline;margin:0 0 4px;font-size:12.5px;color:var(--muted)}
.loghead b{color:var(--fg)}.loghead .show-all{margin-left:auto;font-weight:600}
.empty{color:var(--muted);font-style:italic;padding:4px 0}
.runs td a{font-family:var(--mono);font-size:12.5px}
.group h3{margin:0;padding:10px 16px;font-size:14px;border-bottom:1px solid #eaeef2}
.foot{color:var(--muted);font-size:12px;text-align:center}
.f0{color:#6e7681}.f1{color:#ff7b72}.f2{color:#3fb950}.f3{color:#d29922}.f4{color:#58a6ff}.f5{color:#bc8cff}
.f6{color:#39c5cf}.f7{color:#b1bac4}.f8{color:#8b949e}.f9{color:#ffa198}.f10{color:#56d364}.f11{color:#e3b341}
.f12{color:#79c0ff}.f13{color:#d2a8ff}.f14{color:#56d4dd}.f15{color:#fff}
.g0{background:#484f58}.g1{background:#8e1519}.g2{background:#1a7f37}.g3{background:#9a6700}.g4{background:#0550ae}
.g5{background:#8250df}.g6{background:#1b7c83}.g7{background:#6e7781}.g8{background:#6e7681}.g9{background:#a40e26}
.g10{background:#2da44e}.g11{background:#bf8700}.g12{background:#218bff}.g13{background:#a475f9}.g14{background:#3192aa}
.g15{background:#8c959f}
.b{font-weight:700}.d{opacity:.7}.i{font-style:italic}.u{text-decoration:underline}
.plain{max-width:560px;margin:80px auto;padding:24px}
table.tests{width:100%;border-collapse:collapse;font-size:13px}table.tests td,table.tests th{text-align:left;padding:4px 6px;border-top:1px solid #d0d7de;vertical-align:top}
tr.t-failed td:first-child,tr.t-error td:first-child{color:var(--fail);font-weight:600}.msg{margin:0;white-space:pre-wrap;font-size:12px}
.pill.flaky{background:#bf8700}.test-filter{margin:8px 0}.test-filter input[type=search]{width:60%}
</style>`;

const STYLE_TEXT = /^<style>([\s\S]*)<\/style>$/.exec(STYLE_ELEMENT.toString())![1]!;

/** The CSP source that admits exactly this stylesheet. */
export const STYLE_HASH = `'sha256-${createHash("sha256").update(STYLE_TEXT).digest("base64")}'`;
