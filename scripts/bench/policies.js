'use strict';
// Renders one task's edits as each tool's own policy: a remedy manifest, a sed script,
// a self-contained CFEngine policy, a Puppet manifest and an Ansible playbook. Edits:
//   { type: 'ini', path, section, key, value }          path may be a glob (files task)
//   { type: 'replace', path, pattern, replacement, line, lineMatch }
// Paths are absolute inside the managed tree; `root` is where that tree lives.
const path = require('node:path');

const isGlob = (p) => /[*?[\]{}]/.test(p);

// ---------------------------------------------------------------- remedy
function remedyManifest(edits) {
  const resources = edits.map((e, i) => {
    const common = { id: `e${i}`, type: e.type, path: e.path };
    const spec = e.type === 'ini' ? { section: e.section, key: e.key, value: e.value } : { pattern: e.pattern, replacement: e.replacement };
    return `  - ${JSON.stringify({ ...common, ...spec })}`;
  });
  return `resources:\n${resources.join('\n')}\n`;
}

// ---------------------------------------------------------------- sed
const ereEscape = (s) => s.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
const sedReplacementEscape = (s) => s.replace(/[\\&/]/g, '\\$&');

/** Section-unaware, like most sed one-liners: the first `key =` line (or its `;key =` copy) anywhere. */
function sedExpression(e) {
  if (e.type === 'replace') return `s/${e.pattern.replace(/\//g, '\\/')}/${sedReplacementEscape(e.replacement)}/g`;
  return `s/^;?${ereEscape(e.key)}[ \\t]*=.*$/${sedReplacementEscape(`${e.key} = ${e.value}`)}/`;
}

/** One `sed -i -E -f` per file (a glob stays a shell glob); run as `sh sed.sh`. */
function sedScript(edits, root, dir) {
  const byPath = groupByPath(edits);
  const lines = ['set -e'];
  const files = {};
  [...byPath.entries()].forEach(([p, es], i) => {
    const script = path.join(dir, `edits-${i}.sed`);
    files[script] = es.map(sedExpression).join('\n') + '\n';
    const target = isGlob(p) ? `${shQuote(path.dirname(root + p))}/${path.basename(p)}` : shQuote(root + p);
    lines.push(`sed -i -E -f ${shQuote(script)} ${target}`);
  });
  files[path.join(dir, 'sed.sh')] = lines.join('\n') + '\n';
  return files;
}

// ---------------------------------------------------------------- CFEngine
const cfString = (s) => `"${s.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
const pcreEscape = (s) => s.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');

/** A replace_patterns promise must not match its own result, so the value is excluded by a lookahead. */
function cfPromise(e) {
  if (e.type === 'replace') return `    ${cfString(e.pattern)} replace_with => bench_value(${cfString(e.replacement)});`;
  const pattern = `^;?${pcreEscape(e.key)}[ \\t]*=(?! ${pcreEscape(e.value)}$).*$`;
  return `    ${cfString(pattern)} replace_with => bench_value(${cfString(`${e.key} = ${e.value}`)});`;
}

/** Self-contained (no stdlib): one edit_line bundle per file; a glob becomes a regex leaf. */
function cfengineFiles(edits, root, dir) {
  const byPath = groupByPath(edits);
  const promises = [];
  const bundles = [];
  [...byPath.entries()].forEach(([p, es], i) => {
    const promiser = isGlob(p) ? path.dirname(root + p) + '/' + path.basename(p).replace(/\./g, '\\.').replace(/\*/g, '.*') : root + p;
    promises.push(`    ${cfString(promiser)} edit_line => bench_edit_${i}, edit_defaults => bench_no_backup;`);
    bundles.push(`bundle edit_line bench_edit_${i}\n{\n  replace_patterns:\n${es.map(cfPromise).join('\n')}\n}`);
  });
  const policy = [
    'body common control\n{\n  bundlesequence => { "bench" };\n}',
    // max_file_size: CFEngine refuses to edit files over 100,000 bytes by default.
    'body edit_defaults bench_no_backup\n{\n  edit_backup => "false";\n  max_file_size => "0";\n}',
    'body replace_with bench_value(v)\n{\n  replace_value => "$(v)";\n  occurrences => "all";\n}',
    `bundle agent bench\n{\n  files:\n${promises.join('\n')}\n}`,
    ...bundles,
  ].join('\n\n');
  return { [path.join(dir, 'policy.cf')]: policy + '\n' };
}

// ---------------------------------------------------------------- Puppet
const ppString = (s) => `'${s.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;

/** ini_setting (puppetlabs-inifile) per setting and file (Puppet has no globs); file_line for the replace. */
function puppetResource(e, file, i) {
  if (e.type === 'replace') return `file_line { 'e${i}': path => ${ppString(file)}, line => ${ppString(e.line)}, match => ${ppString(e.lineMatch)} }`;
  return `ini_setting { 'e${i}': ensure => present, path => ${ppString(file)}, section => ${ppString(e.section)}, setting => ${ppString(e.key)}, value => ${ppString(e.value)} }`;
}

function puppetFiles(edits, root, dir, expand) {
  const resources = edits.flatMap((e) => (isGlob(e.path) ? expand(e.path).map((p) => ({ ...e, path: p })) : [e]));
  return { [path.join(dir, 'site.pp')]: resources.map((e, i) => puppetResource(e, root + e.path, i)).join('\n') + '\n' };
}

// ---------------------------------------------------------------- Ansible
/** One task per file: replace, or ini_file looped over that file's settings; a glob loops over query('fileglob'). */
function ansibleTasks(edits, root) {
  return [...groupByPath(edits).entries()].flatMap(([p, es]) => {
    const file = root + p;
    const replaces = es.filter((e) => e.type === 'replace').map((e) => ({ name: `replace in ${p}`, 'ansible.builtin.replace': { path: file, regexp: e.pattern, replace: e.replacement } }));
    const inis = es.filter((e) => e.type === 'ini');
    if (inis.length === 0) return replaces;
    const ini = { path: isGlob(p) ? '{{ item }}' : file, section: '{{ item.section }}', option: '{{ item.key }}', value: '{{ item.value }}' };
    if (isGlob(p)) {
      const [e] = inis;
      return [...replaces, { name: `ini_file on ${p}`, 'community.general.ini_file': { ...ini, section: e.section, option: e.key, value: e.value }, loop: `{{ query('fileglob', '${file}') }}` }];
    }
    return [...replaces, { name: `ini_file ${p}`, 'community.general.ini_file': ini, loop: inis.map(({ section, key, value }) => ({ section, key, value })) }];
  });
}

/** JSON is YAML: the playbook is written as JSON. `root` may be a Jinja expression (a host var). */
function ansiblePlaybook(edits, root, hosts, extra = {}) {
  return JSON.stringify([{ hosts, gather_facts: false, ...extra, tasks: ansibleTasks(edits, root) }], null, 1) + '\n';
}

function ansibleFiles(edits, root, dir, gatherFacts) {
  const play = ansiblePlaybook(edits, root, 'localhost', { connection: 'local', gather_facts: gatherFacts });
  return { [path.join(dir, gatherFacts ? 'playbook-facts.yml' : 'playbook.yml')]: play };
}

// ---------------------------------------------------------------- helpers
function groupByPath(edits) {
  const byPath = new Map();
  for (const e of edits) byPath.set(e.path, [...(byPath.get(e.path) ?? []), e]);
  return byPath;
}

function shQuote(s) {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

module.exports = { remedyManifest, sedScript, cfengineFiles, puppetFiles, ansibleFiles, ansiblePlaybook, shQuote };
