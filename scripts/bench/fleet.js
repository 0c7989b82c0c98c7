'use strict';
// Fleet tasks: N simulated hosts, each a real sshd on a 127.0.0.1 port with its own root,
// started by the fleet tests' own harness (test/e2e/sshd-harness.ts, compiled here with
// esbuild), so the inventory every tool gets is the one the tests write. remedy pushes
// the seed manifest; ansible-playbook runs the same edits over the same inventory with
// pipelining on and the same forks, with its linear strategy and with Mitogen's.
// Every timed run starts without an open ssh connection, as a cron or CI run does: the
// untimed preparation closes Ansible's ControlPersist masters (remedy closes its own).
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const Module = require('node:module');
const path = require('node:path');
const { median, runOrThrow, timeCommand } = require('./measure');
const { ansiblePlaybook, remedyManifest, shQuote } = require('./policies');
const { writeTree } = require('./tasks');
const { ensurePackages, hasBinary, remedyBin, repo, writeFiles } = require('./tools');

const FORKS = 20;
const CURVE25519 = 'curve25519-sha256';
const SAMPLE_MS = 20;

function loadHarness() {
  const file = path.join(repo, 'test', 'e2e', 'sshd-harness.ts');
  const { code } = require('esbuild').transformSync(fs.readFileSync(file, 'utf8'), { loader: 'ts', format: 'cjs', target: 'node20' });
  const m = new Module(file, module);
  m.filename = file;
  m._compile(code, file);
  return m.exports;
}

const FLEET_TOOLS = [
  {
    name: 'remedy',
    packages: [],
    files: (fleet) => ({ [path.join(fleet.dir, 'remedy', 'manifest.yml')]: remedyManifest(fleet.task.edits) }),
    command: (fleet) => [process.execPath, remedyBin, 'apply', path.join(fleet.dir, 'remedy', 'manifest.yml'), '-i', fleet.inventory, '--forks', String(FORKS)],
  },
  {
    name: 'Ansible',
    packages: ['ansible'],
    files: (fleet) => ({ [path.join(fleet.dir, 'ansible', 'playbook.yml')]: ansiblePlaybook(fleet.task.edits, '{{ root }}', 'all') }),
    command: (fleet) => ansibleCommand(fleet, []),
  },
  {
    name: 'Ansible + Mitogen',
    packages: ['ansible', 'ansible-mitogen'],
    files: () => ({}),
    command: (fleet) => ansibleCommand(fleet, ['ANSIBLE_STRATEGY=mitogen_linear']),
  },
];

/** Pipelining on, the same forks, the interpreter named (no discovery round trip), ControlPersist as shipped. */
function ansibleCommand(fleet, extraEnv) {
  const state = path.join(fleet.dir, 'ansible', 'home');
  const env = [`ANSIBLE_HOME=${state}`, `ANSIBLE_LOCAL_TEMP=${path.join(state, 'tmp')}`, 'ANSIBLE_PIPELINING=1', 'ANSIBLE_RETRY_FILES_ENABLED=0', 'ANSIBLE_NOCOLOR=1', ...extraEnv];
  const playbook = path.join(fleet.dir, 'ansible', 'playbook.yml');
  return ['env', ...env, 'ansible-playbook', '-i', fleet.inventory, '-f', String(FORKS), '-e', 'ansible_python_interpreter=/usr/bin/python3', playbook];
}

/** Writes every host's pristine tree; `restore` puts the managed files back (each host keeps its state dir). */
function seedHosts(hosts, task, dir) {
  const pristine = path.join(dir, 'pristine');
  writeTree(pristine, task.tree());
  for (const h of hosts) writeTree(h.root, task.tree());
  const copies = hosts.map((h) => `cp -a ${shQuote(pristine)}/. ${shQuote(h.root)}/`);
  return copies.join('\n');
}

/** Closes the ssh masters Ansible left (ControlPersist): the next run connects afresh. */
function closeMasters(dir) {
  // [c]p: the pattern must not match this shell's own command line.
  return `pkill -f ${shQuote(path.join(dir, 'ansible', 'home', '[c]p/'))} || true; sleep 0.2`;
}

function checkHosts(task, hosts) {
  for (const h of hosts) {
    for (const want of task.expect) {
      const text = fs.readFileSync(path.join(h.root, want.path), 'utf8');
      const missing = (want.includes ?? []).find((s) => !text.includes(s));
      const present = (want.excludes ?? []).find((s) => text.includes(s));
      if (missing || present) throw new Error(`did not do the work on ${h.name}: ${want.path} ${missing ? `lacks ${JSON.stringify(missing)}` : `still has ${JSON.stringify(present)}`}`);
    }
  }
}

/**
 * One run of the command, timed, with the controller's peak memory: the sum of PSS over
 * the command and every process that inherited its environment (forks, ssh clients and
 * masters; the simulated hosts' side runs under their sshd and is not counted), sampled
 * every 20 ms. The sampling costs a little CPU, so this run only sets the number of runs.
 */
function sampledRun(argv, timeoutSeconds) {
  const tag = `REMEDY_BENCH_CONTROLLER=${process.pid}-${Date.now()}`;
  const sampler = `
    const fs = require('fs'); const { spawn } = require('child_process');
    const [tag, ...argv] = process.argv.slice(1); const [k, v] = tag.split('=');
    const started = process.hrtime.bigint();
    const child = spawn(argv[0], argv.slice(1), { env: { ...process.env, [k]: v }, stdio: ['ignore', 'ignore', 'pipe'] });
    let peak = 0, stderr = '';
    child.stderr.on('data', (d) => (stderr += d));
    const sample = () => {
      let kib = 0;
      for (const pid of fs.readdirSync('/proc')) {
        if (!/^\\d+$/.test(pid)) continue;
        try {
          if (!fs.readFileSync('/proc/' + pid + '/environ', 'latin1').split('\\0').includes(tag)) continue;
          const m = /^Pss:\\s+(\\d+)/m.exec(fs.readFileSync('/proc/' + pid + '/smaps_rollup', 'latin1'));
          if (m) kib += Number(m[1]);
        } catch {}
      }
      peak = Math.max(peak, kib);
    };
    const timer = setInterval(sample, ${SAMPLE_MS});
    child.on('exit', (code) => {
      clearInterval(timer);
      console.log(JSON.stringify({ code, seconds: Number(process.hrtime.bigint() - started) / 1e9, peakKiB: peak, stderr: stderr.slice(-2000) }));
    });`;
  const res = runOrThrow([process.execPath, '-e', sampler, tag, ...argv], { timeoutSeconds });
  const { code, seconds, peakKiB, stderr } = JSON.parse(res.stdout);
  if (code !== 0) throw new Error(`${argv.join(' ')} exited ${code}: ${stderr.trim().split('\n').slice(-4).join('\n')}`);
  return { seconds, peakMiB: peakKiB / 1024 };
}

function runsFor(firstRun, opts) {
  return Math.max(opts.fleetMinRuns, Math.min(opts.fleetMaxRuns, Math.round(opts.budget / firstRun)));
}

/** Untimed: drifted hosts for a drifted task; for a converged one, hosts this tool has converged. */
function prepareHosts(fleet, argv) {
  runOrThrow(['sh', '-c', fleet.restore]);
  if (fleet.task.converged) runOrThrow(argv);
  runOrThrow(['sh', '-c', closeMasters(fleet.dir)]);
}

/** Every tool on one fleet and one state (drifted or converged), rounds interleaved; the hosts are checked after every run. */
function benchFleetTask(fleet, tools, opts, machine) {
  const rows = [];
  const prepare = [fleet.task.converged ? '' : fleet.restore, closeMasters(fleet.dir)].filter(Boolean).join('\n');
  for (const tool of tools) {
    const row = { task: fleet.task.name, title: fleet.task.title, tool: tool.name, hosts: fleet.hosts.length, forks: FORKS, skip: tool.skip };
    rows.push(row);
    if (tool.skip) continue;
    try {
      const argv = tool.command(fleet);
      prepareHosts(fleet, argv);
      const first = sampledRun(argv, opts.maxSeconds * 2);
      checkHosts(fleet.task, fleet.hosts);
      Object.assign(row, { argv, wanted: runsFor(first.seconds, opts), times: [], peakMiB: first.peakMiB });
      console.error(`  ${tool.name}: first run ${first.seconds.toFixed(2)} s, controller peak ${first.peakMiB.toFixed(0)} MiB`);
    } catch (e) {
      row.error = e.message;
      console.error(`  ${tool.name}: ERROR ${e.message}`);
    }
  }
  const live = rows.filter((r) => r.argv && !r.error);
  while (live.some((r) => !r.error && r.times.length < r.wanted)) {
    for (const r of live.filter((x) => !x.error && x.times.length < x.wanted)) {
      try {
        r.times.push(...timeCommand(r.argv, { runs: 1, prepare, hyperfine: machine.hyperfine }));
        checkHosts(fleet.task, fleet.hosts);
      } catch (e) {
        r.error = e.message;
      }
    }
  }
  for (const r of live) {
    if (!r.error) {
      r.median = median(r.times);
      r.runs = r.times.length;
      console.error(`  ${r.tool}: median ${r.median.toFixed(2)} s over ${r.runs} runs`);
    }
    delete r.argv;
  }
  return rows;
}

function fleetTools(opts) {
  return FLEET_TOOLS.filter((t) => !opts.tools || t.name === 'remedy' || opts.tools.some((p) => t.name.startsWith(p))).map((t) => {
    const missing = ensurePackages(t.packages, opts);
    if (missing) return { ...t, skip: missing };
    if (t.packages.length && !hasBinary('ansible-playbook')) return { ...t, skip: 'ansible-playbook is not on PATH' };
    return t;
  });
}

/** The inventory with every host's key exchange set to curve25519-sha256 (for every tool alike). */
function curve25519Inventory(inventory) {
  const text = fs.readFileSync(inventory, 'utf8');
  const changed = text.replace(/ansible_ssh_common_args: "([^"]*)"/, (_, args) => `ansible_ssh_common_args: "${args} -o KexAlgorithms=${CURVE25519}"`);
  if (changed === text) throw new Error(`no ansible_ssh_common_args in ${inventory}`);
  const file = inventory.replace(/\.yml$/, `-${CURVE25519}.yml`);
  fs.writeFileSync(file, changed);
  return file;
}

/** Machine CPU (all cores, from /proc/stat) in ms per run of a command, run one after another. */
function cpuMsPerRun(argv, runs = 20) {
  const ticks = () => fs.readFileSync('/proc/stat', 'utf8').split('\n')[0].split(/\s+/).slice(1, 9).filter((_, i) => i !== 3 && i !== 4).reduce((a, b) => a + Number(b), 0);
  const before = ticks();
  for (let i = 0; i < runs; i++) runOrThrow(argv);
  return ((ticks() - before) * (1000 / 100)) / runs;
}

/**
 * What one host costs the machine, piece by piece, on web1 of the fleet: the ssh
 * connection with the default key exchange and with curve25519-sha256, node's start
 * there, and remedy's whole converged run over the same connection.
 */
function perHostCosts(fleet) {
  const h = fleet.hosts[0];
  const ssh = (extra, command) => ['ssh', '-o', 'BatchMode=yes', '-i', path.join(fleet.dir, 'client_key'), '-o', `UserKnownHostsFile=${path.join(fleet.dir, 'known_hosts')}`, '-p', String(h.port), ...extra, 'root@127.0.0.1', command];
  const remedy = FLEET_TOOLS[0].command(fleet);
  return [
    { what: 'ssh connection, `true` (OpenSSH default key exchange)', ms: cpuMsPerRun(ssh([], 'true')) },
    { what: `ssh connection, \`true\` (KexAlgorithms=${CURVE25519})`, ms: cpuMsPerRun(ssh(['-o', `KexAlgorithms=${CURVE25519}`], 'true')) },
    { what: 'ssh connection, `node -e 0`', ms: cpuMsPerRun(ssh([], 'node -e 0')) },
    { what: 'remedy, converged seed, one host (controller start included)', ms: cpuMsPerRun([...remedy, '--limit', h.name], 10) },
  ];
}

/** Fleets of each size, drifted then converged, every tool side by side; at the largest, drifted again with curve25519. Needs root (the sshds run as root). */
async function benchFleet(ws, opts, machine, seedTasks) {
  const harness = loadHarness();
  const missing = harness.sshdMissing() ?? ensurePackages(['openssh-server', 'openssh-client'], opts);
  if (missing) return { skipped: missing };
  const tools = fleetTools(opts);
  const results = [];
  let costs;
  for (const size of opts.fleetSizes) {
    const dir = path.join(ws, `fleet-${size}`);
    fs.mkdirSync(dir, { recursive: true });
    harness.makeKeys(dir);
    const hosts = [];
    for (let i = 1; i <= size; i++) hosts.push(await harness.newHost(dir, `web${i}`));
    try {
      await Promise.all(hosts.map((h) => harness.startSshd(dir, h, { plainShell: true })));
      const inventory = harness.writeInventory(dir, hosts);
      const largest = size === Math.max(...opts.fleetSizes);
      const variants = seedTasks.map((seed) => ({ seed, inventory, suffix: '' }));
      if (largest) variants.push({ seed: seedTasks.find((t) => !t.converged), inventory: curve25519Inventory(inventory), suffix: `-${CURVE25519}`, why: `, every tool with KexAlgorithms=${CURVE25519}` });
      for (const v of variants) {
        const task = { ...v.seed, name: `fleet-${size}-${v.seed.converged ? 'converged' : 'drifted'}${v.suffix}`, title: `${size} hosts, ${v.seed.title}${v.why ?? ''}` };
        const fleet = { dir, hosts, inventory: v.inventory, task, restore: seedHosts(hosts, task, dir) };
        for (const t of tools) writeFiles(t.files(fleet));
        console.error(`\nbench: ${task.name}: ${task.title}`);
        results.push(...benchFleetTask(fleet, tools, opts, machine));
        if (largest && v.suffix === '' && v.seed.converged) costs = perHostCosts(fleet);
      }
    } finally {
      await Promise.all(hosts.map((h) => harness.stopSshd(h)));
      spawnSync('sh', ['-c', closeMasters(dir)]);
    }
  }
  return { forks: FORKS, results, costs };
}

module.exports = { benchFleet };
