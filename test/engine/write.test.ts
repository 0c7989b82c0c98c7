import * as fs from 'node:fs';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';
import { DirSyncs, removeStaleTemps, tempPathFor, writeFileAtomic } from '../../src/engine/write';
import { tempRoot } from '../helpers/tree';

describe('atomic writes', () => {
  let dir: string;
  beforeEach(() => (dir = tempRoot()));
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  test('replaces the file with the new bytes and the given mode, leaving no temp file', () => {
    const file = path.join(dir, 'php.ini');
    fs.writeFileSync(file, 'old');
    writeFileAtomic(file, Buffer.from('new'), { mode: 0o640 });
    expect(fs.readFileSync(file, 'utf8')).toBe('new');
    expect(fs.statSync(file).mode & 0o777).toBe(0o640);
    expect(fs.readdirSync(dir)).toEqual(['php.ini']);
  });

  test('temp files of a dead process are removed, those of a live one kept', () => {
    const file = path.join(dir, 'php.ini');
    const dead = spawnSync('sh', ['-c', 'echo $$'], { encoding: 'utf8' }).stdout.trim();
    const stale = tempPathFor(file).replace(`remedy-${process.pid}-`, `remedy-${dead}-`);
    const live = tempPathFor(file);
    fs.writeFileSync(stale, 'half');
    fs.writeFileSync(live, 'mine');
    expect(removeStaleTemps(dir)).toEqual([stale]);
    expect(fs.existsSync(live)).toBe(true);
  });
});

describe('directory syncs deferred to the end of a run', () => {
  test('a directory removed before the flush has nothing left to settle; others are synced', () => {
    const dir = tempRoot();
    const gone = path.join(dir, 'gone');
    fs.mkdirSync(gone);
    const later = new DirSyncs();
    writeFileAtomic(path.join(gone, 'a.conf'), Buffer.from('a'), { mode: 0o644 }, later);
    writeFileAtomic(path.join(dir, 'b.conf'), Buffer.from('b'), { mode: 0o644 }, later);
    fs.rmSync(gone, { recursive: true });
    expect(() => later.flush()).not.toThrow();
    expect(fs.readFileSync(path.join(dir, 'b.conf'), 'utf8')).toBe('b');
    fs.rmSync(dir, { recursive: true, force: true });
  });
});
