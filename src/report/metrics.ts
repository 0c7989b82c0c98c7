import type { ApplyResult } from '../engine/apply';
import type { Plan } from '../engine/plan';

/** What one run tells Prometheus (node_exporter's textfile collector). */
export interface RunMetrics {
  manifest: string;
  endedAt: Date;
  durationSeconds: number;
  success: boolean;
  resources: { changed: number; unchanged: number; failed: number };
  driftFiles: number;
  /** The git commit of the manifest (remedy pull). */
  commit?: string;
}

/** What a run learned, as far as it got: no plan after a manifest error, no result for a check. */
export interface RunRecord {
  plan?: Plan;
  result?: ApplyResult;
}

interface Gauge {
  name: string;
  help: string;
  samples: { labels?: Record<string, string>; value: number }[];
}

export function applyMetrics(manifest: string, { plan, result }: RunRecord, startedMs: number): RunMetrics {
  const verifyFailed = result?.verify?.some((c) => !c.ok) === true;
  const failed = result ? result.failed + result.skipped : 0;
  return {
    ...timing(manifest, startedMs),
    success: result !== undefined && failed === 0 && !verifyFailed,
    resources: { changed: result?.changed ?? 0, unchanged: result ? result.outcomes.length - result.changed - failed : 0, failed },
    driftFiles: plan ? driftFiles(plan) : 0,
    commit: plan?.commit,
  };
}

/** A check changes nothing: every resource counts as unchanged; drift is what it found. */
export function checkMetrics(manifest: string, { plan }: RunRecord, startedMs: number): RunMetrics {
  return {
    ...timing(manifest, startedMs),
    success: plan !== undefined,
    resources: { changed: 0, unchanged: plan?.summary.resources ?? 0, failed: 0 },
    driftFiles: plan ? driftFiles(plan) : 0,
  };
}

function timing(manifest: string, startedMs: number): Pick<RunMetrics, 'manifest' | 'endedAt' | 'durationSeconds'> {
  const endedAt = new Date();
  return { manifest, endedAt, durationSeconds: (endedAt.getTime() - startedMs) / 1000 };
}

/** Files changed by hand since remedy wrote them, when the plan classifies its changes (`cause`). */
function driftFiles(plan: Plan): number {
  return plan.files.filter((f) => f.cause === 'drift').length;
}

/** The Prometheus text exposition format: HELP and TYPE, then the samples, every one labelled with the manifest. */
export function renderMetrics(m: RunMetrics): string {
  const gauges: Gauge[] = [
    { name: 'remedy_last_run_timestamp_seconds', help: 'Unix time at which the last remedy run ended.', samples: [{ value: m.endedAt.getTime() / 1000 }] },
    { name: 'remedy_last_run_success', help: '1 if the last run succeeded (no resource failed, verify passed), else 0.', samples: [{ value: m.success ? 1 : 0 }] },
    { name: 'remedy_run_duration_seconds', help: 'Wall-clock time of the last run, from taking the lock to the report.', samples: [{ value: m.durationSeconds }] },
    {
      name: 'remedy_resources',
      help: 'Resources of the last run by outcome.',
      samples: (['changed', 'unchanged', 'failed'] as const).map((state) => ({ labels: { state }, value: m.resources[state] })),
    },
    { name: 'remedy_drift_files', help: 'Files whose bytes were changed outside remedy since it last wrote them.', samples: [{ value: m.driftFiles }] },
    ...(m.commit ? [{ name: 'remedy_manifest_commit_info', help: 'The git commit the last run applied (remedy pull), as a label; always 1.', samples: [{ labels: { commit: m.commit }, value: 1 }] }] : []),
  ];
  return gauges.map((g) => renderGauge(g, m.manifest)).join('');
}

function renderGauge(g: Gauge, manifest: string): string {
  const lines = [`# HELP ${g.name} ${g.help}`, `# TYPE ${g.name} gauge`];
  for (const s of g.samples) lines.push(`${g.name}{${renderLabels({ manifest, ...s.labels })}} ${s.value}`);
  return lines.join('\n') + '\n';
}

function renderLabels(labels: Record<string, string>): string {
  return Object.entries(labels)
    .map(([k, v]) => `${k}="${v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n')}"`)
    .join(',');
}
