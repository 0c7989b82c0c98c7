import * as fs from 'node:fs';
import * as path from 'node:path';

/** The real Debian files that scripts/fetch-real-files.sh caches (see test/setup/global-setup.js). */
export type RealFileName = 'php.ini-production' | 'apache2.conf' | '000-default.conf' | 'wp-settings.php' | 'sshd_config' | 'ssh_config' | 'prometheus.yml' | 'composer.json' | 'config.toml' | 'os-release';

const repoRoot = path.join(__dirname, '..', '..');

function realFilesDir(): string {
  return path.resolve(process.env.REMEDY_REAL_FILES ?? path.join(repoRoot, '.cache', 'real'));
}

/** Absolute path of the cached real file, or undefined when it has not been fetched. */
export function realFile(name: RealFileName): string | undefined {
  const file = path.join(realFilesDir(), name);
  return fs.existsSync(file) ? file : undefined;
}

/**
 * `describe(title, () => fn(files))` when every named real file is there; otherwise
 * one skipped test whose title says which files are missing and how to get them, so
 * the gap shows in the report instead of passing silently.
 */
export function describeWithRealFiles<N extends RealFileName>(names: readonly N[], title: string, fn: (files: Record<N, string>) => void): void {
  const files = {} as Record<N, string>;
  const missing: string[] = [];
  for (const name of names) {
    const file = realFile(name);
    if (file === undefined) missing.push(path.join(realFilesDir(), name));
    else files[name] = file;
  }
  if (missing.length === 0) {
    describe(title, () => fn(files));
    return;
  }
  describe(title, () => {
    test.skip(`skipped: ${missing.join(', ')} missing (run scripts/fetch-real-files.sh)`, () => undefined);
  });
}

/** describeWithRealFiles for one file. */
export function describeWithRealFile(name: RealFileName, title: string, fn: (file: string) => void): void {
  describeWithRealFiles([name], title, (files) => fn(files[name]));
}
