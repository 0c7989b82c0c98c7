import * as path from 'node:path';
import { diffGroups, type FleetReport, type HostResult } from './report';

/**
 * `--html FILE`: the fleet report as one self-contained page (no CDN, no external file):
 * the fleet table, filters by status (also from the URL: `#status=failed`, so a link can
 * point at the failures), and each diff collapsible, with the hosts that share it.
 */

const escape = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

const STATUSES: HostResult['status'][] = ['changed', 'in-sync', 'failed', 'unreachable', 'not-run'];

function detail(r: HostResult): string {
  const s = r.report?.summary;
  if (r.message) return r.message;
  if (r.report?.result) return `${r.report.result.changed} changed, ${r.report.result.failed} failed`;
  return s ? `${s.changed} to change, ${s.unchanged} unchanged` : '';
}

function diffLines(diff: string): string {
  return diff
    .split('\n')
    .map((l) => `<span class="${l.startsWith('+') && !l.startsWith('+++') ? 'add' : l.startsWith('-') && !l.startsWith('---') ? 'del' : l.startsWith('@@') ? 'hunk' : ''}">${escape(l)}</span>`)
    .join('\n');
}

const STYLE = `body{font:14px/1.4 system-ui,sans-serif;margin:2rem;color:#222}
table{border-collapse:collapse;margin:1rem 0}th,td{padding:.3rem .8rem;border-bottom:1px solid #ddd;text-align:left}
td.num{text-align:right}.status{font-weight:600}.changed{color:#a60}.in-sync{color:#270}.failed,.unreachable{color:#b00}.not-run{color:#777}
.filters button{margin-right:.4rem}.filters button[aria-pressed=true]{font-weight:700}
pre{background:#f6f6f6;padding:.6rem;overflow:auto}.add{color:#070}.del{color:#a00}.hunk{color:#07a}
[hidden]{display:none}`;

/** Shows the rows and diffs of the chosen status ("all" for every one), and keeps the choice in the URL. */
const SCRIPT = `(function(){
  var buttons=document.querySelectorAll('.filters button');
  function show(status){
    document.querySelectorAll('tr[data-status]').forEach(function(tr){tr.hidden=status!=='all'&&tr.dataset.status!==status;});
    document.querySelectorAll('details[data-statuses]').forEach(function(d){d.hidden=status!=='all'&&d.dataset.statuses.split(' ').indexOf(status)<0;});
    buttons.forEach(function(b){b.setAttribute('aria-pressed',String(b.dataset.filter===status));});
    document.getElementById('shown').textContent=document.querySelectorAll('tr[data-status]:not([hidden])').length;
  }
  buttons.forEach(function(b){b.addEventListener('click',function(){location.hash='status='+b.dataset.filter;show(b.dataset.filter);});});
  var m=/status=([a-z-]+)/.exec(location.hash);
  show(m?m[1]:'all');
})();`;

export function renderHtml(report: FleetReport): string {
  const count = (s: HostResult['status']) => report.results.filter((r) => r.status === s).length;
  const statusOf = new Map(report.results.map((r) => [r.name, r.status]));
  const rows = report.results
    .map((r) => `<tr data-status="${r.status}"><td><code>${escape(r.name)}</code></td><td class="status ${r.status}">${r.status}</td><td class="num">${r.seconds.toFixed(2)} s</td><td>${escape(detail(r))}</td></tr>`)
    .join('\n');
  const diffs = diffGroups(report.results)
    .map((g) => {
      const statuses = [...new Set(g.hosts.map((h) => statusOf.get(h)))].join(' ');
      return `<details data-statuses="${statuses}"><summary>${g.hosts.map((h) => `<code>${escape(h)}</code>`).join(', ')}${g.hosts.length > 1 ? ` (the same change on ${g.hosts.length} hosts)` : ''}</summary><pre>${diffLines(g.diff.trimEnd())}</pre></details>`;
    })
    .join('\n');
  const filters = [`<button type="button" data-filter="all">all (${report.results.length})</button>`, ...STATUSES.filter((s) => count(s) > 0).map((s) => `<button type="button" data-filter="${s}">${s} (${count(s)})</button>`)].join('');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>remedy ${report.command} ${escape(path.basename(report.manifest))}</title><style>${STYLE}</style></head>
<body>
<h1>remedy ${report.command} <code>${escape(path.basename(report.manifest))}</code></h1>
<p>${report.results.length} host(s) of <code>${escape(report.inventory)}</code>: ${STATUSES.filter((s) => count(s) > 0).map((s) => `${count(s)} ${s}`).join(', ')}. Showing <span id="shown">${report.results.length}</span>.</p>
<div class="filters">${filters}</div>
<table><thead><tr><th>host</th><th>status</th><th>time</th><th>detail</th></tr></thead><tbody>
${rows}
</tbody></table>
<h2>Changes</h2>
${diffs || '<p>No host has a change.</p>'}
<script>${SCRIPT}</script>
</body></html>
`;
}
