import type { CommandResult, CommandSpec, ProbeIo } from '../../src/engine/types';
import { packageKind, type PackageSpec } from '../../src/resources/package';

/** A probe io whose dpkg-query and apt-cache answer as given, recording what ran. */
function fakeIo(installed: Record<string, string>, candidates: Record<string, string>, root = '/'): { io: ProbeIo; ran: string[][] } {
  const ran: string[][] = [];
  const answer = (stdout: string): CommandResult => ({ code: 0, signal: null, stdout, stderr: '', timedOut: false });
  const io: ProbeIo = {
    root,
    exists: async () => false,
    readText: () => undefined,
    mtime: () => Date.now() - 3 * 24 * 3600 * 1000,
    run: async (cmd: CommandSpec) => {
      ran.push(cmd.argv);
      if (cmd.argv[0] === 'dpkg-query') return answer(Object.entries(installed).map(([n, v]) => `${n}\tii \t${v}\n`).join('') + 'gone\trc \t1.0\n');
      const names = cmd.argv.slice(cmd.argv.indexOf('policy') + 1);
      return answer(names.filter((n) => candidates[n]).map((n) => `${n}:\n  Installed: ${installed[n] ?? '(none)'}\n  Candidate: ${candidates[n]}\n`).join(''));
    },
  };
  return { io, ran };
}

async function plan(spec: PackageSpec, installed: Record<string, string>, candidates: Record<string, string>, root = '/') {
  const { io, ran } = fakeIo(installed, candidates, root);
  const state = await packageKind.read(spec, io);
  return { planned: packageKind.plan(spec, state, false), ran };
}

describe('package', () => {
  test('installed and present: one dpkg-query, no apt-cache, in sync', async () => {
    const { planned, ran } = await plan({ name: 'hello' }, { hello: '2.10-3' }, {});
    expect(planned).toEqual({ action: 'none', reason: 'hello 2.10-3 installed', commands: [] });
    expect(ran.map((a) => a[0])).toEqual(['dpkg-query']);
  });

  test('missing: one apt-get for all names, without recommends, versions and stale lists in the reason', async () => {
    const { planned } = await plan({ name: ['hello', 'cowsay'] }, {}, { hello: '2.10-3', cowsay: '3.03' });
    expect(planned.reason).toBe("install hello (none -> 2.10-3), cowsay (none -> 3.03) (apt's package lists are 3 day(s) old; update_cache: true refreshes them)");
    expect(planned.commands.map((c) => c.argv.slice(-4))).toEqual([['install', '--no-install-recommends', 'hello', 'cowsay']]);
    expect(planned.commands[0].env).toEqual({ DEBIAN_FRONTEND: 'noninteractive' });
  });

  test('latest upgrades; an exact version pins; update_cache runs apt-get update first', async () => {
    expect((await plan({ name: 'hello', ensure: 'latest' }, { hello: '2.10-2' }, { hello: '2.10-3' })).planned.reason).toContain('hello (2.10-2 -> 2.10-3)');
    const pinned = (await plan({ name: 'hello', ensure: '2.10-2', update_cache: true }, { hello: '2.10-3' }, {})).planned;
    expect(pinned.commands.map((c) => c.argv.filter((a) => !a.startsWith('-') && !a.startsWith('Dpkg')).join(' '))).toEqual(['apt-get update', 'apt-get install hello=2.10-2']);
  });

  test('absent removes only what is installed ("rc" is not installed)', async () => {
    expect((await plan({ name: ['hello', 'gone'], ensure: 'absent' }, { hello: '2.10-3' }, {})).planned.commands[0].argv.slice(-2)).toEqual(['remove', 'hello']);
    expect((await plan({ name: 'gone', ensure: 'absent' }, {}, {})).planned.action).toBe('none');
  });

  test('unknown packages, and installing under --root, are refused at plan', async () => {
    await expect(plan({ name: 'nosuch' }, {}, {})).rejects.toThrow(/not known to apt/);
    await expect(plan({ name: 'hello' }, {}, { hello: '2.10-3' }, '/srv/image')).rejects.toThrow(/installing packages under --root \/srv\/image is not supported/);
  });
});
