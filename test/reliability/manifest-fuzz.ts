import fc from 'fast-check';
import * as fs from 'node:fs';
import * as path from 'node:path';

/**
 * Broken manifests: valid ones mutated byte by byte and structurally, and documents that
 * attack the loader (alias bombs, deep nesting, cycles). No exec, service, validate or
 * verify ever appears in a base: a mutation must not be able to run a command.
 */

/** Files the base manifests manage, under the --root of every case. */
export const TREE: Record<string, string> = {
  'etc/php.ini': '[PHP]\nmemory_limit = 128M\n;date.timezone =\ndisplay_errors = On\n',
  'etc/motd': 'Welcome\n',
  'etc/app/a.conf': 'listen 80\n',
  'etc/app/b.conf': 'listen 81\r\n',
  'var/www/wp-settings.php': "<?php\nrequire_once ABSPATH . WPINC . '/class-wp-locale.phpp';\n",
};

const BASES = [
  `vars:
  php_ini: /etc/php.ini
  limit: 256M
resources:
  - id: memory
    type: ini
    path: \${php_ini}
    section: PHP
    key: memory_limit
    value: \${limit}
  - id: tz
    type: ini
    path: \${php_ini}
    section: PHP
    key: date.timezone
    value: UTC
    requires: [memory]
`,
  `resources:
  - id: motd
    type: line
    path: /etc/motd
    line: Managed by remedy
    after: ^Welcome
  - id: listen
    type: line
    path: /etc/app/*.conf
    match: ^listen
    line: listen 8080
`,
  `resources:
  - id: wp-typo
    type: replace
    path: /var/www/wp-settings.php
    pattern: '\\.phpp\\b'
    replacement: .php
  - id: web
    type: block
    path: /etc/app/a.conf
    marker: "# {mark} managed"
    content: |
      server_name example.org;
      root /var/www;
`,
  `vars: { dir: /etc/new }
resources:
  - id: new-dir
    type: file
    path: \${dir}
    ensure: directory
    mode: "0755"
  - id: new-file
    type: file
    path: \${dir}/x.conf
    content: "a = 1\\n"
    mode: "0640"
    requires: [new-dir]
  - id: link
    type: file
    path: /etc/current
    ensure: link
    target: /etc/new
`,
  `include: [common.yml]
resources:
  - id: display
    type: ini
    path: /etc/php.ini
    section: PHP
    key: display_errors
    value: "Off"
    sensitive: true
`,
];

/** Included by the last base (and by mutations that add an include). */
export const COMMON_YML = `vars:\n  php_ini: /etc/php.ini\nresources:\n  - id: common-motd\n    type: line\n    path: /etc/motd\n    line: from common\n`;

const SNIPPETS = [
  '&a ', '*a', '*nope', '<<: *a\n', '!!binary ', '!!js/function ', '!!python/object/apply:os.system ', '!!timestamp ', '!!set ', '!!omap ', '!custom ', '!!int ',
  '\t', ': ', '- ', '{', '}', '[', ']', '"', "'", '\n', '\r\n', '\r', '#', '? ', '| ', '> ', '%YAML 1.1\n', '---\n', '...\n', '\u0000', '\ufeff', '\u2028', '😀',
  '${nope}', '${php_ini}', '$${', '${', '99999999999999999999999', '1e400', '-0', '.inf', '.nan', '0x7fffffffffffffff', 'null', '~', 'true', 'no', '0o777',
  'type: exec\n', 'type: inii\n', 'include: [manifest.yml]\n', 'include: [common.yml, common.yml]\n', 'requires: [tz]\n', 'requires: [memory, nope]\n', '../../', '/..',
];

/** Values a field must not have: other types, huge numbers, nested structures. */
const WRONG_VALUES = ['42', '-1', '1.5', 'true', 'null', '[]', '[1, 2]', '{}', '{a: 1}', '99999999999999999999999999999', '1e400', '.nan', '""', "''", '!!binary aGVsbG8=', '&x [*x]', '[[[[[]]]]]', '"${nope}"', '"/../../etc/passwd"', '"relative/path"'];

type Mutation =
  | { op: 'delete'; at: number; length: number }
  | { op: 'insert'; at: number; text: string }
  | { op: 'value'; nth: number; text: string };

const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ op: fc.constant('delete' as const), at: fc.nat(), length: fc.integer({ min: 1, max: 12 }) }),
  fc.record({ op: fc.constant('insert' as const), at: fc.nat(), text: fc.oneof(fc.constantFrom(...SNIPPETS), fc.string({ maxLength: 4 })) }),
  fc.record({ op: fc.constant('value' as const), nth: fc.nat(), text: fc.constantFrom(...WRONG_VALUES) }),
);

function mutate(text: string, m: Mutation): string {
  if (m.op === 'delete') {
    const at = m.at % (text.length + 1);
    return text.slice(0, at) + text.slice(at + m.length);
  }
  if (m.op === 'insert') {
    const at = m.at % (text.length + 1);
    return text.slice(0, at) + m.text + text.slice(at);
  }
  // The value after the nth `key: ` of the document.
  const values = [...text.matchAll(/: [^\n]*/g)];
  if (values.length === 0) return text;
  const v = values[m.nth % values.length];
  return text.slice(0, v.index! + 2) + m.text + text.slice(v.index! + v[0].length);
}

const mutated = fc.tuple(fc.constantFrom(...BASES), fc.array(mutation, { minLength: 1, maxLength: 4 })).map(([base, ms]) => ms.reduce(mutate, base));

/** Documents built to hurt a loader, rather than mutated. */
const ATTACKS = [
  // Billion laughs: aliases of aliases.
  `a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]\nb: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]\nc: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]\nd: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]\ne: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]\nf: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]\nresources: [*f]\n`,
  `vars: &v\n  a: \${b}\n  b: \${a}\nresources:\n  - id: x\n    type: line\n    path: /etc/motd\n    line: \${a}\n`,
  `vars:\n  self: x\${self}\nresources: []\n`,
  `resources:\n  - id: &x [*x]\n    type: line\n`,
  `vars: &v {a: *v}\nresources: []\n`,
  `include: [manifest.yml]\nresources: []\n`,
  `resources:\n  - &r {id: a, type: line, path: /etc/motd, line: x, requires: [b]}\n  - {id: b, type: line, path: /etc/motd, line: y, requires: [a]}\n`,
  `resources:\n  - id: big\n    type: line\n    path: /etc/motd\n    line: "${'x'.repeat(200_000)}"\n`,
  `resources: ${'['.repeat(5000)}${']'.repeat(5000)}\n`,
  `resources:\n  - ${'{a: '.repeat(2000)}1${'}'.repeat(2000)}\n`,
  `vars: ${'{a: '.repeat(3000)}1${'}'.repeat(3000)}\nresources: []\n`,
  `${Array.from({ length: 1500 }, (_, i) => `${' '.repeat(i)}k${i}:`).join('\n')} 1\n`,
  `resources:\n${Array.from({ length: 2000 }, (_, i) => `  - {id: r${i}, type: line, path: /etc/motd, line: "l${i % 7}"}`).join('\n')}\n`,
  `!!js/function "function(){ require('fs').writeFileSync('/tmp/pwned', 'x') }"\n`,
  `resources:\n  - !!python/object/apply:os.system ["touch /tmp/pwned"]\n`,
  `resources:\n  - id: bin\n    type: file\n    path: /etc/bin\n    content: !!binary AAECAwQF\n`,
  `resources:\n  - id: when\n    type: file\n    path: /etc/when\n    content: !!timestamp 2001-12-14t21:59:43.10-05:00\n`,
  `resources:\n  - id: huge\n    type: file\n    path: /etc/huge\n    content: x\n    mode: 99999999999999999999999999999999999999\n`,
  `resources:\n  - id: dup\n    id: dup2\n    type: line\n    path: /etc/motd\n    line: x\n`,
  `\ufeffresources:\r\n\t- id: tabbed\r\n\t  type: line\r\n`,
  `resources:\n  - id: ctl\n    type: line\n    path: "/etc/mo\\0td"\n    line: x\n`,
  `resources:\n  - id: dots\n    type: line\n    path: /etc/../../../outside\n    line: x\n    create: true\n`,
  '',
  '\u0000\u0001\u0002',
  '---\n---\n---\n',
];

/** A manifest to try: mostly mutated bases, sometimes one of the attacks (mutated too, now and then). */
export const brokenManifest: fc.Arbitrary<string> = fc.oneof(
  { weight: 6, arbitrary: mutated },
  { weight: 1, arbitrary: fc.constantFrom(...ATTACKS) },
  { weight: 1, arbitrary: fc.tuple(fc.constantFrom(...ATTACKS), mutation).map(([doc, m]) => mutate(doc, m)) },
);

/** Writes a fresh case: ROOT with TREE, the manifest and common.yml beside it (outside the root). */
export function writeCase(dir: string, manifest: string): { root: string; manifest: string } {
  fs.rmSync(dir, { recursive: true, force: true });
  const root = path.join(dir, 'root');
  for (const [rel, content] of Object.entries(TREE)) {
    fs.mkdirSync(path.dirname(path.join(root, rel)), { recursive: true });
    fs.writeFileSync(path.join(root, rel), content);
  }
  fs.writeFileSync(path.join(dir, 'common.yml'), COMMON_YML);
  fs.writeFileSync(path.join(dir, 'manifest.yml'), manifest);
  return { root, manifest: path.join(dir, 'manifest.yml') };
}
