import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { renderHtml } from '../../src/fleet/html';
import { fleetExit } from '../../src/fleet/push';
import { diffGroups, renderFleet, type FleetReport, type HostResult } from '../../src/fleet/report';
import { tempRoot } from '../helpers/tree';

const diff = (line: string) => `--- a/etc/motd\n+++ b/etc/motd\n@@ -1,1 +1,2 @@\n Welcome\n+${line}\n`;
const planned = (d: string) => ({ summary: { resources: 1, changed: 1, unchanged: 0 }, files: [{ path: '/etc/motd', action: 'update', diff: d }] });
const results: HostResult[] = [
  { name: 'web1', status: 'changed', seconds: 0.5, exitCode: 2, report: planned(diff('Managed <by> remedy')) },
  { name: 'web2', status: 'changed', seconds: 0.6, exitCode: 2, report: planned(diff('Managed <by> remedy')) },
  { name: 'web3', status: 'in-sync', seconds: 0.4, exitCode: 0, report: { summary: { resources: 1, changed: 0, unchanged: 1 }, files: [] } },
  { name: 'db1', status: 'failed', seconds: 0.7, exitCode: 1, message: 'when: \'x\' is not defined <script>alert(1)</script>' },
  { name: 'db2', status: 'unreachable', seconds: 0.0, message: 'ssh: connect to host 10.0.0.9 port 22: Connection refused' },
];
const report: FleetReport = { command: 'plan', manifest: '/srv/site/site.yml', inventory: 'inventory.yml', results };

describe('fleet reports', () => {
  test('identical diffs are one group with their hosts, in first-host order', () => {
    expect(diffGroups(results).map((g) => g.hosts)).toEqual([['web1', 'web2']]);
  });

  test('human, markdown and JSON views', () => {
    const human = renderFleet(report, 'human', false);
    expect(human).toContain('== web1, web2 (the same change on 2 hosts)');
    expect(human).toMatch(/db2\s+UNREACHABLE\s+0\.00 s\s+ssh: connect to host/);
    expect(human).toContain('Hosts: 2 changed, 1 in sync, 1 failed, 1 unreachable.');
    expect(renderFleet(report, 'markdown', false)).toContain('| `db1` | FAILED | 0.70 |');
    expect(JSON.parse(renderFleet(report, 'json', false)).hosts.map((h: HostResult) => h.status)).toEqual(['changed', 'changed', 'in-sync', 'failed', 'unreachable']);
  });

  test('exit codes fold over hosts: 2 changes, 4 failures, 8 unreachable; plain 1', () => {
    expect(fleetExit(results, true)).toBe(2 + 4 + 8);
    expect(fleetExit(results.slice(0, 3), true)).toBe(2);
    expect(fleetExit(results.slice(2, 3), true)).toBe(0);
    expect(fleetExit(results, false)).toBe(1);
  });
});

const chromium = ['/usr/bin/chromium', '/usr/bin/chromium-browser'].find((c) => fs.existsSync(c));
if (!chromium && process.env.CI === 'true') throw new Error('CI=true, so the HTML report test must run in headless Chromium, but chromium is not installed');
const describeInChromium = chromium ? describe : describe.skip;

describeInChromium('the --html page in headless Chromium', () => {
  let dir: string;
  beforeAll(() => {
    dir = tempRoot('remedy-html-');
    fs.writeFileSync(path.join(dir, 'fleet.html'), renderHtml(report));
  });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  /** The DOM after the page's script ran. */
  const rendered = (hash: string) => {
    const run = spawnSync(chromium!, ['--headless', '--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', `--user-data-dir=${path.join(dir, 'profile')}`, '--dump-dom', `file://${path.join(dir, 'fleet.html')}${hash}`], { encoding: 'utf8', timeout: 60_000 });
    if (run.status !== 0) throw new Error(`chromium failed: ${run.stderr}`);
    return run.stdout;
  };
  const rows = (dom: string) => [...dom.matchAll(/<tr data-status="([a-z-]+)"( hidden="")?>/g)].map((m) => `${m[1]}${m[2] ? ' hidden' : ''}`);

  test('every host is a row, the shared diff shows once, text is escaped', () => {
    const dom = rendered('');
    expect(rows(dom)).toEqual(['changed', 'changed', 'in-sync', 'failed', 'unreachable']);
    expect(dom).toContain('Showing <span id="shown">5</span>');
    expect(dom.match(/<details/g)).toHaveLength(1);
    expect(dom).toContain('<code>web1</code>, <code>web2</code> (the same change on 2 hosts)');
    expect(dom).toContain('Managed &lt;by&gt; remedy');
    expect(dom).not.toContain('<script>alert(1)</script>');
    expect(dom).not.toMatch(/<(link|script) [^>]*src=/);
  }, 90_000);

  test('the status filter (from the URL) hides the other rows and diffs', () => {
    const dom = rendered('#status=failed');
    expect(rows(dom)).toEqual(['changed hidden', 'changed hidden', 'in-sync hidden', 'failed', 'unreachable hidden']);
    expect(dom).toContain('Showing <span id="shown">1</span>');
    expect(dom).toMatch(/<details data-statuses="changed" hidden="">/);
    expect(dom).toMatch(/<button type="button" data-filter="failed" aria-pressed="true">/);
  }, 90_000);
});
