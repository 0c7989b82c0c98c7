import type { ProbeIo } from '../../src/engine/types';
import { groupKind, type GroupSpec } from '../../src/resources/group';

const io = (group: string, root = '/'): ProbeIo => ({ root, run: async () => ({ code: 0, signal: null, stdout: '', stderr: '', timedOut: false }), exists: async () => false, readText: (p) => (p === '/etc/group' ? group : undefined), mtime: () => undefined });
const plan = async (spec: GroupSpec, group: string, root = '/') => groupKind.plan(spec, await groupKind.read(spec, io(group, root)), false);

describe('group', () => {
  test('create with groupadd; under --root with its --prefix', async () => {
    expect((await plan({ name: 'webops', gid: 1500, system: true }, 'root:x:0:\n')).commands[0].argv).toEqual(['groupadd', '--gid', '1500', '--system', 'webops']);
    expect((await plan({ name: 'webops' }, 'root:x:0:\n', '/srv/image')).commands[0].argv).toEqual(['groupadd', '--prefix', '/srv/image', 'webops']);
  });

  test('a different gid is changed; the same is in sync; absent removes', async () => {
    expect((await plan({ name: 'webops', gid: 1600 }, 'webops:x:1500:\n')).commands[0].argv).toEqual(['groupmod', '--gid', '1600', 'webops']);
    expect((await plan({ name: 'webops', gid: 1500 }, 'webops:x:1500:a,b\n')).action).toBe('none');
    expect((await plan({ name: 'webops', ensure: 'absent' }, 'webops:x:1500:\n')).commands[0].argv).toEqual(['groupdel', 'webops']);
  });

  test("a gid another group has is refused", async () => {
    await expect(plan({ name: 'webops', gid: 1500 }, 'other:x:1500:\n')).rejects.toThrow("gid 1500 is already group other's");
  });
});
