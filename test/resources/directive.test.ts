import fc from 'fast-check';
import * as fs from 'node:fs';
import type { ManagedFile, TransformContext } from '../../src/engine/types';
import { directiveKind, editDirective, type DirectiveSpec } from '../../src/resources/directive';
import { noMachine } from '../helpers/machine';
import { describeWithRealFile, describeWithRealFiles } from '../setup/real-files';
import { changedLines } from '../helpers/changed-lines';

/** A context whose managed tree holds these files (for Include drop-ins). */
function withFiles(files: Record<string, string>): TransformContext {
  const all: ManagedFile[] = Object.entries(files).map(([p, content]) => ({ path: p, content }));
  const toRegex = (glob: string) => new RegExp(`^${glob.replace(/[.+^${}()|\\]/g, '\\$&').replace(/\*/g, '[^/]*')}$`);
  return { ...noMachine, readManaged: (pattern) => all.filter((f) => toRegex(pattern).test(f.path)).sort((a, b) => a.path.localeCompare(b.path)) };
}

const edit = (text: string, spec: DirectiveSpec, ctx = noMachine) => editDirective(text, spec, ctx).text;
const lines = (...ls: string[]) => ls.map((l) => `${l}\n`).join('');

describe('sshd_config semantics', () => {
  const config = lines('Include /etc/ssh/sshd_config.d/*.conf', '#PermitRootLogin prohibit-password', 'PasswordAuthentication yes', 'Subsystem sftp /usr/lib/openssh/sftp-server', '', 'Match User backup', '    PermitRootLogin yes', '    PasswordAuthentication yes');

  test('a block line is never touched by a top-level edit (the ini kind deleted it)', () => {
    const out = edit(config, { key: 'PermitRootLogin', value: 'no' });
    expect(changedLines(config, out)).toEqual({ removed: ['#PermitRootLogin prohibit-password'], added: ['PermitRootLogin no'] });
    expect(out).toContain('Match User backup\n    PermitRootLogin yes\n');
  });

  test('the first value wins: the first line is the one set, later ones stay', () => {
    const text = lines('PermitRootLogin yes', 'PermitRootLogin no');
    expect(edit(text, { key: 'PermitRootLogin', value: 'prohibit-password' })).toBe(lines('PermitRootLogin prohibit-password', 'PermitRootLogin no'));
    expect(editDirective(text, { key: 'PermitRootLogin', value: 'yes' }, noMachine).reason).toBe('PermitRootLogin is already yes');
  });

  test('keywords are case-insensitive; the line keeps its spelling, indentation and separator', () => {
    expect(edit(lines('  permitrootlogin=yes'), { key: 'PermitRootLogin', value: 'no' })).toBe(lines('  permitrootlogin=no'));
    expect(edit(lines('Subsystem\tsftp\t/usr/lib/openssh/sftp-server'), { key: 'subsystem', value: 'sftp internal-sftp' })).toBe(lines('Subsystem\tsftp internal-sftp'));
  });

  test('a scope edits only its block, with the block indentation', () => {
    expect(changedLines(config, edit(config, { key: 'PermitRootLogin', value: 'no', scope: 'Match User backup' }))).toEqual({ removed: ['    PermitRootLogin yes'], added: ['    PermitRootLogin no'] });
    expect(edit(config, { key: 'X11Forwarding', value: 'no', scope: 'Match  User backup' })).toBe(config + '    X11Forwarding no\n');
  });

  test('a missing block is appended with the key', () => {
    expect(edit(config, { key: 'ForceCommand', value: 'internal-sftp', scope: 'Match Group sftp' })).toBe(config + '\nMatch Group sftp\n    ForceCommand internal-sftp\n');
  });

  test('a new top-level key goes after the last top-level directive, before the first Match', () => {
    expect(changedLines(config, edit(config, { key: 'MaxAuthTries', value: '3' })).added).toEqual(['MaxAuthTries 3']);
    expect(edit(config, { key: 'MaxAuthTries', value: '3' })).toContain('sftp-server\nMaxAuthTries 3\n\nMatch User backup');
  });

  test('an example block in comments is not uncommented into the top level', () => {
    const text = lines('UsePAM yes', '#Match User anoncvs', '#ForceCommand cvs server');
    expect(edit(text, { key: 'ForceCommand', value: 'internal-sftp' })).toBe(lines('UsePAM yes', 'ForceCommand internal-sftp', '#Match User anoncvs', '#ForceCommand cvs server'));
  });

  test('prose comments are not commented copies', () => {
    const text = lines('# PermitRootLogin is discussed here', 'UsePAM yes');
    expect(edit(text, { key: 'PermitRootLogin', value: 'no' })).toBe(lines('# PermitRootLogin is discussed here', 'UsePAM yes', 'PermitRootLogin no'));
  });

  test('ensure: absent removes the lines of the scope only', () => {
    expect(edit(config, { key: 'PasswordAuthentication', ensure: 'absent' })).toBe(config.replace('PasswordAuthentication yes\nSubsystem', 'Subsystem'));
    expect(editDirective(config, { key: 'Banner', ensure: 'absent' }, noMachine).reason).toBe('Banner is already absent');
  });

  test('values: a repeated keyword, the first in place of its commented default', () => {
    const text = lines('#HostKey /etc/ssh/ssh_host_rsa_key', '#HostKey /etc/ssh/ssh_host_ecdsa_key', 'UsePAM yes');
    const keys = ['/etc/ssh/ssh_host_ed25519_key', '/etc/ssh/ssh_host_rsa_key'];
    const out = edit(text, { key: 'HostKey', values: keys });
    expect(out).toBe(lines('HostKey /etc/ssh/ssh_host_ed25519_key', 'HostKey /etc/ssh/ssh_host_rsa_key', '#HostKey /etc/ssh/ssh_host_ecdsa_key', 'UsePAM yes'));
    expect(edit(out, { key: 'HostKey', values: keys })).toBe(out);
    expect(edit(out, { key: 'HostKey', values: [keys[1]] })).toBe(lines('HostKey /etc/ssh/ssh_host_rsa_key', '#HostKey /etc/ssh/ssh_host_ecdsa_key', 'UsePAM yes'));
    expect(edit(out, { key: 'HostKey', ensure: 'absent', values: [keys[0]] })).toBe(lines('HostKey /etc/ssh/ssh_host_rsa_key', '#HostKey /etc/ssh/ssh_host_ecdsa_key', 'UsePAM yes'));
  });

  test('CRLF and a missing final newline are kept', () => {
    expect(edit('UsePAM yes\r\nX11Forwarding yes', { key: 'MaxSessions', value: '4' })).toBe('UsePAM yes\r\nX11Forwarding yes\r\nMaxSessions 4');
  });
});

describe('Include drop-ins (Debian 12 reads sshd_config.d first)', () => {
  const main = lines('Include /etc/ssh/sshd_config.d/*.conf', 'PasswordAuthentication yes');
  const dropIns = withFiles({ '/etc/ssh/sshd_config.d/50-cloud-init.conf': lines('PasswordAuthentication yes'), '/etc/ssh/sshd_config.d/10-other.conf': lines('Match User x', 'PasswordAuthentication no') });

  test('a drop-in that sets the key first makes the plan fail, naming it', () => {
    expect(() => edit(main, { key: 'PasswordAuthentication', value: 'no' }, dropIns)).toThrow(/PasswordAuthentication is set to 'yes' by \/etc\/ssh\/sshd_config.d\/50-cloud-init.conf:1, which the Include at line 1 reads first/);
  });

  test('a drop-in with the wanted value is in sync, and says where', () => {
    expect(editDirective(main, { key: 'PasswordAuthentication', value: 'yes' }, dropIns).reason).toBe('PasswordAuthentication is already yes (set by /etc/ssh/sshd_config.d/50-cloud-init.conf:1, included first)');
  });

  test('a key only inside a drop-in Match block, or an Include after the line, does not count', () => {
    expect(edit(main, { key: 'X11Forwarding', value: 'no' }, withFiles({ '/etc/ssh/sshd_config.d/10-other.conf': lines('Match User x', 'X11Forwarding yes') }))).toBe(main + 'X11Forwarding no\n');
    const includeLast = lines('PasswordAuthentication yes', 'Include /etc/ssh/sshd_config.d/*.conf');
    expect(edit(includeLast, { key: 'PasswordAuthentication', value: 'no' }, dropIns)).toBe(includeLast.replace('yes', 'no'));
  });

  test("a `**` is one `*`, as in sshd's glob(3): a hostile Include never walks the tree", () => {
    const asked: string[] = [];
    edit(lines('Include /**/*.conf'), { key: 'UsePAM', value: 'yes' }, { ...noMachine, readManaged: (p) => (asked.push(p), []) });
    expect(asked).toEqual(['/*/*.conf']);
  });

  test('a relative Include is under /etc/ssh', () => {
    expect(() => edit(lines('Include sshd_config.d/*.conf'), { key: 'PasswordAuthentication', value: 'no' }, dropIns)).toThrow(/50-cloud-init.conf:1/);
  });
});

describe('Apache syntax', () => {
  const conf = lines('Timeout 300', '<Directory />', '\tOptions FollowSymLinks', '\tAllowOverride None', '</Directory>', '', '<Directory /var/www/>', '\tAllowOverride None', '\t<IfModule mod_rewrite.c>', '\t\tAllowOverride All', '\t</IfModule>', '</Directory>', 'IncludeOptional sites-enabled/*.conf');

  test('a section scope edits only the lines directly in it', () => {
    expect(changedLines(conf, edit(conf, { key: 'AllowOverride', value: 'FileInfo', scope: '<Directory /var/www/>', syntax: 'apache' }))).toEqual({ removed: ['\tAllowOverride None'], added: ['\tAllowOverride FileInfo'] });
    expect(edit(conf, { key: 'Require', value: 'all granted', scope: 'Directory "/var/www/"', syntax: 'apache' })).toContain('<Directory /var/www/>\n\tAllowOverride None\n\tRequire all granted\n\t<IfModule');
  });

  test('the last value wins; a new top-level key goes after the last top-level directive', () => {
    const twice = lines('Timeout 300', 'Timeout 60');
    expect(edit(twice, { key: 'Timeout', value: '30', syntax: 'apache' })).toBe(lines('Timeout 300', 'Timeout 30'));
    expect(edit(conf, { key: 'ServerTokens', value: 'Prod', syntax: 'apache' })).toBe(conf + 'ServerTokens Prod\n');
  });

  test('a missing section is appended and closed', () => {
    expect(edit(lines('Timeout 300'), { key: 'Require', value: 'all denied', scope: '<Directory /srv/>', syntax: 'apache' })).toBe(lines('Timeout 300', '', '<Directory /srv/>', '    Require all denied', '</Directory>'));
  });

  test('an unclosed section is refused', () => {
    expect(() => edit(lines('<Directory />', 'Options None'), { key: 'Timeout', value: '1', syntax: 'apache' })).toThrow(/<Directory> at line 1 is never closed/);
  });
});

describe('spec checks', () => {
  test.each<[DirectiveSpec, RegExp]>([
    [{ key: 'Port', value: '22', values: ['22'] }, /value and values are both given/],
    [{ key: 'Port' }, /needs value or values/],
    [{ key: 'Port', ensure: 'absent', value: '22' }, /value must not be given/],
    [{ key: 'Match', value: 'User x' }, /Match starts a block/],
    [{ key: 'Banner', value: 'a\nb' }, /cannot hold a line break/],
  ])('%j', (spec, message) => {
    expect(() => directiveKind.check!(spec)).toThrow(message);
  });
});

describeWithRealFiles(['sshd_config', 'ssh_config'], "Debian's own sshd_config and ssh_config", (files) => {
  const sshd = fs.readFileSync(files.sshd_config, 'utf8');

  test.each<[DirectiveSpec, string[], string[]]>([
    [{ key: 'PermitRootLogin', value: 'no' }, ['#PermitRootLogin prohibit-password'], ['PermitRootLogin no']],
    [{ key: 'PasswordAuthentication', value: 'no' }, ['#PasswordAuthentication yes'], ['PasswordAuthentication no']],
    [{ key: 'X11Forwarding', value: 'no' }, ['X11Forwarding yes'], ['X11Forwarding no']],
    [{ key: 'AllowUsers', value: 'deploy' }, [], ['AllowUsers deploy']],
    [{ key: 'ForceCommand', value: 'internal-sftp' }, [], ['ForceCommand internal-sftp']],
  ])('%j changes exactly one line, and again nothing', (spec, removed, added) => {
    const out = edit(sshd, spec);
    expect(changedLines(sshd, out)).toEqual({ removed, added });
    expect(edit(out, spec)).toBe(out);
  });

  test('a new key goes after Subsystem, not into the commented Match example', () => {
    expect(edit(sshd, { key: 'AllowUsers', value: 'deploy' })).toContain('sftp-server\nAllowUsers deploy\n\n# Example of overriding');
  });

  test("ssh_config's Host * block", () => {
    const ssh = fs.readFileSync(files.ssh_config, 'utf8');
    expect(changedLines(ssh, edit(ssh, { key: 'HashKnownHosts', value: 'no', scope: 'Host *' }))).toEqual({ removed: ['    HashKnownHosts yes'], added: ['    HashKnownHosts no'] });
  });
});

describeWithRealFile('apache2.conf', "Debian's apache2.conf", (file) => {
  const conf = fs.readFileSync(file, 'utf8');

  test('AllowOverride in <Directory /var/www/> only', () => {
    const out = edit(conf, { key: 'AllowOverride', value: 'All', scope: '<Directory /var/www/>', syntax: 'apache' });
    expect(changedLines(conf, out)).toEqual({ removed: ['\tAllowOverride None'], added: ['\tAllowOverride All'] });
    expect(out.indexOf('AllowOverride All')).toBeGreaterThan(out.indexOf('<Directory /var/www/>'));
  });

  test('Timeout set in place', () => {
    expect(changedLines(conf, edit(conf, { key: 'Timeout', value: '60', syntax: 'apache' }))).toEqual({ removed: ['Timeout 300'], added: ['Timeout 60'] });
  });
});

describeWithRealFile('000-default.conf', "Debian's default site (000-default.conf)", (file) => {
  const site = fs.readFileSync(file, 'utf8');
  const vhost = { scope: '<VirtualHost *:80>', syntax: 'apache' as const };

  test('the commented ServerName inside the VirtualHost is uncommented in place', () => {
    expect(changedLines(site, edit(site, { ...vhost, key: 'ServerName', value: 'www.example.org' }))).toEqual({ removed: ['\t#ServerName www.example.com'], added: ['\tServerName www.example.org'] });
  });

  test('DocumentRoot set in place; a new directive after the last one of the block', () => {
    expect(changedLines(site, edit(site, { ...vhost, key: 'DocumentRoot', value: '/srv/www' }))).toEqual({ removed: ['\tDocumentRoot /var/www/html'], added: ['\tDocumentRoot /srv/www'] });
    expect(edit(site, { ...vhost, key: 'Protocols', value: 'h2 http/1.1' })).toContain('access.log combined\n\tProtocols h2 http/1.1\n');
  });
});

describe('property: generated sshd_config files', () => {
  const keyword = fc.constantFrom('PermitRootLogin', 'PasswordAuthentication', 'X11Forwarding', 'MaxAuthTries', 'UsePAM');
  const value = fc.constantFrom('yes', 'no', '3', 'prohibit-password');
  const line = fc.oneof(
    fc.tuple(fc.constantFrom('', '  ', '\t'), keyword, fc.constantFrom(' ', '=', ' = ', '\t'), value).map(([i, k, s, v]) => `${i}${k}${s}${v}`),
    fc.tuple(keyword, value).map(([k, v]) => `#${k} ${v}`),
    fc.constantFrom('', '# a comment', 'Match User backup', 'Match Address 10.0.0.0/8', 'Include /etc/ssh/sshd_config.d/*.conf'),
  );
  const file = fc.array(line, { maxLength: 25 }).map((ls) => ls.map((l) => `${l}\n`).join(''));
  const scope = fc.constantFrom(undefined, 'Match User backup', 'Match Address 10.0.0.0/8');

  test('an edit converges in one step and leaves every other block alone', () => {
    fc.assert(
      fc.property(file, keyword, value, scope, fc.boolean(), (text, key, v, where, absent) => {
        const spec: DirectiveSpec = absent ? { key, ensure: 'absent', scope: where } : { key, value: v, scope: where };
        const out = edit(text, spec);
        expect(edit(out, spec)).toBe(out);
        // The top level first (maybe empty), then each block from its Match line.
        const segments = (t: string) => `\n${t}`.split(/\n(?=Match )/);
        const before = segments(text);
        const target = where === undefined ? 0 : before.findIndex((b, i) => i > 0 && (b === where || b.startsWith(`${where}\n`)));
        if (target < 0) {
          expect(out.startsWith(text)).toBe(true);
          return;
        }
        const after = segments(out);
        expect(after.length).toBe(before.length);
        expect(after.filter((_, i) => i !== target)).toEqual(before.filter((_, i) => i !== target));
      }),
      { numRuns: 1000 },
    );
  });
});
