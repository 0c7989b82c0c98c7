import * as path from 'node:path';
import type { Command } from 'commander';
import { DiagnosticsError } from '../engine/diagnostics';
import { stateDirOf } from '../engine/state-dir';
import { durationFlag } from './cron';

interface PullFlags {
  branch: string;
  manifest: string;
  inventory?: string;
  host?: string;
  onlyIfChanged?: boolean;
  verifyCommit?: boolean;
  root: string;
  stateDir?: string;
  var: string[];
  format: string;
  detailedExitcodes?: boolean;
  color: boolean;
  keep: string;
  splay?: string;
  wait: string;
  metricsFile?: string;
  logFile?: string;
  logLevel?: string;
}

/** `remedy pull REPO_URL`: fetch the manifests with git, then apply this host's manifest from the checked-out commit. */
export function registerPull(program: Command, run: (argv: string[]) => Promise<void>, setExit: (code: number) => void): void {
  program
    .command('pull <repo>')
    .description('fetch a git repository of manifests and apply this host\'s manifest from the tip of a branch (ansible-pull)')
    .option('--branch <name>', 'the branch to follow', 'main')
    .option('--manifest <file>', 'the manifest in the repository', 'site.yml')
    .option('-i, --inventory <file>', "an inventory in the repository: this host's vars and groups come from it")
    .option('--host <name>', "this host's name in the inventory (default: the hostname)")
    .option('--only-if-changed', 'do nothing when the commit is the last one applied and that run converged')
    .option('--verify-commit', "apply only a commit with a good signature (git verify-commit)")
    .option('--root <dir>', 'manage the tree under DIR instead of /', '/')
    .option('--state-dir <dir>', 'where the clone, the run lock and history live (default: <root>/var/lib/remedy)')
    .option('--var <name=value>', 'set a variable (repeatable)', (v: string, p: string[]) => [...p, v], [])
    .option('--format <format>', 'report format: human, json or markdown', 'human')
    .option('--detailed-exitcodes', '0 no changes, 2 changes, 4 failures, 6 both (1: a refused commit)')
    .option('--no-color', 'no colour')
    .option('--keep <n>', 'keep the last N runs and their backups', '50')
    .option('--splay <duration>', 'first sleep a random time below DURATION, before the fetch, so that a fleet does not hit the git server at once')
    .option('--wait <duration>', 'wait up to DURATION for another apply to release the run lock', '0')
    .option('--metrics-file <file>', 'write Prometheus metrics of the apply to FILE')
    .option('--log-file <file>', 'structured logs of the apply to FILE')
    .option('--log-level <level>', 'with --log-file: debug, info, warn, error or silent')
    .action(async (repo: string, flags: PullFlags) => {
      // Loaded here: registering the command must not load git handling for every other command.
      const { checkout, defaultHost, pullDir, restoreLastGood, writeLast } = require('../fleet/pull') as typeof import('../fleet/pull');
      const { makePlan } = require('../run/run') as typeof import('../run/run');
      if (flags.splay !== undefined) await new Promise((resolve) => setTimeout(resolve, Math.floor(Math.random() * durationFlag('--splay', flags.splay!) * 1000)));
      const root = path.resolve(flags.root);
      const stateDir = stateDirOf({ root, stateDir: flags.stateDir });
      const opts = { url: repo, branch: flags.branch, manifest: flags.manifest, inventory: flags.inventory, host: flags.host ?? defaultHost(), onlyIfChanged: flags.onlyIfChanged === true, verifyCommit: flags.verifyCommit === true, stateDir };
      const target = checkout(opts);
      if (target.skip) {
        process.stdout.write(`remedy pull: nothing to do: ${target.skip}\n`);
        return setExit(0);
      }
      const vars = Object.fromEntries(flags.var.map((v) => [v.slice(0, v.indexOf('=')), v.slice(v.indexOf('=') + 1)]));
      // The new commit must load and plan before anything is written; a broken one leaves the last good commit checked out.
      const planned = await makePlan({ manifest: target.manifest, root, vars, groups: target.host.groups, host: { name: target.host.name, vars: target.host.vars }, stateDir });
      if (!planned.plan) {
        const kept = restoreLastGood(opts);
        throw new DiagnosticsError([...planned.diagnostics, { severity: 'error', summary: `commit ${target.commit.slice(0, 12)} is refused: its manifest does not load or plan; nothing was written`, hint: kept ? `the last good commit ${kept.slice(0, 12)} stays checked out` : 'fix the manifest in the repository' }]);
      }
      const argv = ['node', 'remedy', 'apply', target.manifest, '--root', root, '--state-dir', stateDir, '--format', flags.format, '--keep', flags.keep, '--wait', flags.wait, '--host-name', target.host.name, '--host-vars', JSON.stringify(target.host.vars), '--source-commit', target.commit];
      if (flags.metricsFile) argv.push('--metrics-file', flags.metricsFile);
      if (flags.logFile) argv.push('--log-file', flags.logFile, '--log-level', flags.logLevel ?? 'info');
      for (const g of target.host.groups) argv.push('--group', g);
      for (const v of flags.var) argv.push('--var', v);
      if (flags.detailedExitcodes) argv.push('--detailed-exitcodes');
      if (!flags.color) argv.push('--no-color');
      await run(argv);
      const code = Number(process.exitCode ?? 0);
      const converged = flags.detailedExitcodes ? code === 0 || code === 2 : code === 0;
      writeLast(pullDir(stateDir, repo), { commit: target.commit, converged, at: new Date().toISOString() });
      setExit(code);
    });
}
