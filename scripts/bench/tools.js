'use strict';
// The tools compared, each doing a task's edits its own way, and how to install the
// missing ones from Debian (as root; otherwise they are skipped with the reason).
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');
const policies = require('./policies');

const repo = path.join(__dirname, '..', '..');
const remedyBin = path.join(repo, 'bin', 'remedy.js');

/**
 * command(job) -> argv, where job = { root, dir, edits, expand, manifest }: `root` is the
 * managed tree, `dir` a private folder for the tool's policy files and state.
 */
const TOOLS = [
  { name: 'node -e 0', floor: true, binary: 'node', packages: [], files: () => ({}), command: () => [process.execPath, '-e', '0'] },
  {
    name: 'remedy',
    binary: 'node',
    packages: [],
    files: (job) => ({ [path.join(job.dir, 'manifest.yml')]: policies.remedyManifest(job.edits) }),
    command: (job) => [process.execPath, remedyBin, ...(job.remedyArgs ?? ['apply', path.join(job.dir, 'manifest.yml'), '--root', job.root])],
  },
  { name: 'sed -i', binary: 'sed', packages: ['sed'], files: (job) => policies.sedScript(job.edits, job.root, job.dir), command: (job) => ['sh', path.join(job.dir, 'sed.sh')] },
  {
    name: 'CFEngine',
    binary: 'cf-agent',
    packages: ['cfengine3'],
    files: (job) => policies.cfengineFiles(job.edits, job.root, job.dir),
    // -K: no promise locks, so every run does the work.
    command: (job) => ['cf-agent', '-K', '-f', path.join(job.dir, 'policy.cf')],
  },
  {
    name: 'Puppet',
    binary: 'puppet',
    packages: ['puppet', 'puppet-module-puppetlabs-inifile', 'puppet-module-puppetlabs-stdlib'],
    files: (job) => policies.puppetFiles(job.edits, job.root, job.dir, job.expand),
    command: (job) => ['puppet', 'apply', '--color=false', '--modulepath=/usr/share/puppet/modules', ...puppetDirs(job.dir), path.join(job.dir, 'site.pp')],
  },
  {
    name: 'Ansible',
    binary: 'ansible-playbook',
    packages: ['ansible'],
    files: (job) => policies.ansibleFiles(job.edits, job.root, job.dir, false),
    command: (job) => ansibleCommand(job, 'playbook.yml'),
  },
  {
    name: 'Ansible (facts)',
    binary: 'ansible-playbook',
    packages: ['ansible'],
    files: (job) => policies.ansibleFiles(job.edits, job.root, job.dir, true),
    command: (job) => ansibleCommand(job, 'playbook-facts.yml'),
  },
];

function puppetDirs(dir) {
  const own = (name) => path.join(dir, 'puppet', name);
  return [`--confdir=${own('etc')}`, `--codedir=${own('code')}`, `--vardir=${own('var')}`, `--logdir=${own('log')}`, `--rundir=${own('run')}`];
}

function ansibleCommand(job, playbook) {
  const state = path.join(job.dir, 'ansible');
  const env = [`ANSIBLE_HOME=${state}`, `ANSIBLE_LOCAL_TEMP=${path.join(state, 'tmp')}`, 'ANSIBLE_RETRY_FILES_ENABLED=0', 'ANSIBLE_NOCOLOR=1'];
  return ['env', ...env, 'ansible-playbook', '-i', 'localhost,', '-c', 'local', '-e', 'ansible_python_interpreter=/usr/bin/python3', path.join(job.dir, playbook)];
}

function hasBinary(binary) {
  return spawnSync('sh', ['-c', `command -v ${binary}`], { stdio: 'ignore' }).status === 0;
}

function packageInstalled(pkg) {
  const res = spawnSync('dpkg-query', ['-W', '-f', '${Status}', pkg], { encoding: 'utf8' });
  return res.status === 0 && res.stdout.includes('install ok installed');
}

/** Installs the Debian packages that are missing; returns why it could not, or undefined. */
function ensurePackages(packages, { install }) {
  const missing = packages.filter((p) => !packageInstalled(p));
  if (missing.length === 0) return undefined;
  if (!install) return `not installed (${missing.join(' ')}) and --no-install was given`;
  if (process.getuid?.() !== 0) return `not installed (${missing.join(' ')}); run as root to let the bench apt-get install it`;
  if (!hasBinary('apt-get')) return `not installed (${missing.join(' ')}) and there is no apt-get`;
  console.error(`bench: apt-get install -y ${missing.join(' ')} ...`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  const run = (args) => spawnSync('apt-get', ['-q', '-y', ...args], { stdio: ['ignore', 'ignore', 'pipe'], encoding: 'utf8', env });
  let res = run(['install', '--no-install-recommends', ...missing]);
  if (res.status !== 0) {
    run(['update']);
    res = run(['install', '--no-install-recommends', ...missing]);
  }
  return res.status === 0 ? undefined : `apt-get install ${missing.join(' ')} failed: ${res.stderr.trim().split('\n').pop()}`;
}

/** The tools to run, each with `skip` set to the reason when it cannot run here. */
function availableTools(opts) {
  const wanted = opts.tools ? TOOLS.filter((t) => t.floor || opts.tools.some((w) => t.name.toLowerCase().startsWith(w.toLowerCase()))) : TOOLS;
  return wanted.map((t) => {
    const skip = ensurePackages(t.packages, opts) ?? (hasBinary(t.binary) ? undefined : `${t.binary} is not on PATH`);
    return { ...t, skip };
  });
}

function writeFiles(files) {
  for (const [file, text] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, text);
  }
}

module.exports = { availableTools, ensurePackages, hasBinary, remedyBin, repo, writeFiles };
