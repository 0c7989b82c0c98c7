import type { ProbeIo } from '../../src/engine/types';
import { userKind, type UserSpec } from '../../src/resources/user';

const HASH = '$6$salt$' + 'x'.repeat(86);
const files = { '/etc/passwd': 'root:x:0:0:root:/root:/bin/bash\ndeploy:x:1501:1500:Deploy:/home/deploy:/bin/sh\n', '/etc/group': 'root:x:0:\nwebops:x:1500:deploy\nwww-data:x:33:\n', '/etc/shadow': `deploy:${HASH}:19000:0:99999:7:::\n` };
const io = (root = '/'): ProbeIo => ({ root, run: async () => ({ code: 0, signal: null, stdout: '', stderr: '', timedOut: false }), exists: async () => false, readText: (p) => files[p as keyof typeof files], mtime: () => undefined });
const plan = async (spec: UserSpec, root = '/') => userKind.plan(spec, await userKind.read(spec, io(root)), false);

describe('user', () => {
  test('a new user: useradd with every field, a home unless system', async () => {
    expect((await plan({ name: 'app', uid: 1600, group: 'webops', groups: ['www-data'], shell: '/usr/sbin/nologin', comment: 'App' })).commands[0].argv).toEqual([
      'useradd', '--uid', '1600', '--gid', 'webops', '--groups', 'www-data', '--shell', '/usr/sbin/nologin', '--comment', 'App', '--create-home', 'app',
    ]);
    expect((await plan({ name: 'svc', system: true }, '/srv/image')).commands[0].argv).toEqual(['useradd', '--prefix', '/srv/image', '--system', '--no-create-home', 'svc']);
  });

  test('only what differs is changed, groups exactly; the hash is compared, never said', async () => {
    const changed = await plan({ name: 'deploy', shell: '/bin/bash', groups: ['webops', 'www-data'], password: HASH.replace('x', 'y') });
    expect(changed.reason).toBe('user deploy: shell /bin/sh -> /bin/bash; groups [webops] -> [webops, www-data]; password changes');
    expect(changed.commands[0].argv.slice(0, 4)).toEqual(['usermod', '--shell', '/bin/bash', '--groups']);
    expect((await plan({ name: 'deploy', uid: 1501, group: 'webops', groups: ['webops'], shell: '/bin/sh', password: HASH })).action).toBe('none');
  });

  test('always sensitive with a password; a clear password is refused', () => {
    expect(userKind.alwaysSensitive!({ name: 'a', password: HASH })).toBe(true);
    expect(userKind.alwaysSensitive!({ name: 'a' })).toBe(false);
    expect(() => userKind.check!({ name: 'a', password: 'hunter2' })).toThrow(/not a crypt\(3\) hash/);
  });

  test("a uid another user has is refused; a group not there yet is said", async () => {
    await expect(plan({ name: 'new', uid: 1501 })).rejects.toThrow("uid 1501 is already user deploy's");
    expect((await plan({ name: 'new', groups: ['docker'] })).reason).toContain('group docker must exist by then');
  });

  test('absent: userdel, the home stays', async () => {
    expect((await plan({ name: 'deploy', ensure: 'absent' })).commands[0].argv).toEqual(['userdel', 'deploy']);
  });
});
