import * as fs from 'node:fs';
import { createRequire } from 'node:module';
import * as path from 'node:path';
import * as vm from 'node:vm';

// bin/remedy.js starts the CLI from dist/remedy.js, the whole CLI bundled into one file by
// `npm run build`, compiled from V8's code cache for it (dist/remedy.js.cache, made at
// build time by running the bundle). Loading ~200 modules one by one and compiling them
// was more than half of a cron run's time; see docs/performance.md.

type Cli = typeof import('./main');

interface LoadedBundle {
  cli: Cli;
  script: vm.Script;
  /** V8 refused the cache (another node version or V8 flags): the code was compiled as usual. */
  cacheRejected: boolean;
}

const BUNDLE = path.join(__dirname, '..', 'remedy.js');
const CODE_CACHE = `${BUNDLE}.cache`;

/** Runs the CLI from the bundle, with the code cache when there is one. */
export function start(argv: string[]): Promise<void> {
  return loadBundle(readCodeCache()).cli.main(argv);
}

/** Loads the bundle as node would load a CommonJS module, but through a vm.Script that can take and make a code cache. */
export function loadBundle(cachedData: Buffer | undefined): LoadedBundle {
  // The build keeps the bundle ASCII: latin1 skips UTF-8 decoding.
  const source = fs.readFileSync(BUNDLE, 'latin1');
  const script = new vm.Script(`(function (exports, require, module, __filename, __dirname) {${source}\n})`, { filename: BUNDLE, cachedData });
  const bundle = { exports: {} as Cli };
  script.runInThisContext()(bundle.exports, createRequire(BUNDLE), bundle, BUNDLE, path.dirname(BUNDLE));
  return { cli: bundle.exports, script, cacheRejected: cachedData !== undefined && script.cachedDataRejected === true };
}

/**
 * Runs the CLI once for each argv, then writes the code cache, which then holds every
 * function those runs compiled. `npm run build` calls it with a plan, a drifted apply and
 * a converged apply of the bundled example.
 */
export async function writeCodeCache(runs: string[][]): Promise<number> {
  const { cli, script } = loadBundle(undefined);
  for (const argv of runs) await cli.main(argv);
  const data = script.createCachedData();
  fs.writeFileSync(CODE_CACHE, data);
  return data.length;
}

function readCodeCache(): Buffer | undefined {
  try {
    return fs.readFileSync(CODE_CACHE);
  } catch {
    return undefined; // a build without one still runs, compiling as usual
  }
}
