import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { DiagnosticsError } from '../engine/diagnostics';

/**
 * A host without Node.js gets a self-contained executable: this controller's own node
 * binary with the bundle injected as a Node single executable application (SEA). Built
 * on first use and cached content-addressed under ~/.cache/remedy/sea/, keyed by the
 * bundle and the node binary, so it is built once per remedy and node version.
 */

export interface Executable {
  file: string;
  sha256: string;
}

/**
 * Node's fixed fuse string for SEA blobs (node/src/node_sea.cc), joined at run time: the
 * bundle is itself injected into the binary, and postject refuses a binary in which the
 * fuse appears twice.
 */
const SEA_FUSE = ['NODE_SEA_FUSE', 'fce680ab2cc467b6e072b8b5df1996b2'].join('_');

function cacheDir(): string {
  return path.join(process.env.XDG_CACHE_HOME ?? path.join(os.homedir(), '.cache'), 'remedy', 'sea');
}

function sha256File(file: string): string {
  return createHash('sha256').update(fs.readFileSync(file)).digest('hex');
}

function run(argv: string[], cwd: string, what: string): void {
  const r = spawnSync(argv[0], argv.slice(1), { cwd, encoding: 'utf8' });
  if (r.status !== 0) throw new DiagnosticsError([{ severity: 'error', summary: `building the self-contained remedy failed at ${what}: ${(r.stderr || r.error?.message || '').trim().split('\n').pop()}`, hint: 'a host without node needs it; install Node.js 20 or later on that host instead' }]);
}

export function selfContained(bundle: Buffer): Executable {
  const key = createHash('sha256').update(bundle).update(process.version).update(String(fs.statSync(process.execPath).size)).digest('hex').slice(0, 32);
  const file = path.join(cacheDir(), `remedy-${key}`);
  if (fs.existsSync(file)) return { file, sha256: sha256File(file) };
  // Built beside the cache, so the final rename stays on one filesystem.
  fs.mkdirSync(cacheDir(), { recursive: true, mode: 0o700 });
  const work = fs.mkdtempSync(path.join(cacheDir(), '.build-'));
  try {
    // The SEA's main script is the bundle, then the call bin/remedy.js makes.
    fs.writeFileSync(path.join(work, 'entry.js'), `${bundle.toString('utf8')}\n;module.exports.main(process.argv);\n`);
    fs.writeFileSync(path.join(work, 'sea.json'), JSON.stringify({ main: 'entry.js', output: 'prep.blob', disableExperimentalSEAWarning: true }));
    run([process.execPath, '--experimental-sea-config', 'sea.json'], work, 'node --experimental-sea-config');
    fs.copyFileSync(process.execPath, path.join(work, 'remedy'));
    fs.chmodSync(path.join(work, 'remedy'), 0o755);
    // postject in a child: its ELF library prints warnings on the console.
    const inject = `require(${JSON.stringify(require.resolve('postject'))}).inject('remedy','NODE_SEA_BLOB',require('fs').readFileSync('prep.blob'),{sentinelFuse:${JSON.stringify(SEA_FUSE)}}).catch((e)=>{console.error(e.message);process.exit(1)})`;
    run([process.execPath, '-e', inject], work, 'postject');
    fs.renameSync(path.join(work, 'remedy'), file);
    return { file, sha256: sha256File(file) };
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
}
