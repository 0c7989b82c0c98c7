import * as fs from 'node:fs';
import * as path from 'node:path';
import { isInside, resolveInRoot } from '../../src/engine/root';
import { tempRoot } from '../helpers/tree';

describe('resolveInRoot keeps every path inside the root', () => {
  let root: string;
  let real: string;
  beforeEach(() => {
    root = tempRoot();
    real = fs.realpathSync(root);
    fs.mkdirSync(path.join(root, 'etc/php/8.2'), { recursive: true });
    fs.writeFileSync(path.join(root, 'etc/php/8.2/php.ini'), 'x');
  });
  afterEach(() => fs.rmSync(root, { recursive: true, force: true }));

  test('a plain path maps under the root', () => {
    expect(resolveInRoot(root, '/etc/php/8.2/php.ini')).toBe(path.join(real, 'etc/php/8.2/php.ini'));
  });

  test('a missing path maps under the root too', () => {
    expect(resolveInRoot(root, '/etc/new/file')).toBe(path.join(real, 'etc/new/file'));
  });

  test('an absolute link target is taken inside the root (chroot semantics)', () => {
    fs.symlinkSync('/etc/php/8.2/php.ini', path.join(root, 'etc/php.ini'));
    expect(resolveInRoot(root, '/etc/php.ini')).toBe(path.join(real, 'etc/php/8.2/php.ini'));
  });

  test('a relative link inside the root is followed', () => {
    fs.symlinkSync('php/8.2/php.ini', path.join(root, 'etc/php.ini'));
    expect(resolveInRoot(root, '/etc/php.ini')).toBe(path.join(real, 'etc/php/8.2/php.ini'));
  });

  test('a directory link in the middle of the path is followed inside the root', () => {
    fs.symlinkSync('/etc/php/8.2', path.join(root, 'etc/current'));
    expect(resolveInRoot(root, '/etc/current/php.ini')).toBe(path.join(real, 'etc/php/8.2/php.ini'));
  });

  test('chained links resolve', () => {
    fs.symlinkSync('/etc/b', path.join(root, 'etc/a'));
    fs.symlinkSync('php/8.2/php.ini', path.join(root, 'etc/b'));
    expect(resolveInRoot(root, '/etc/a')).toBe(path.join(real, 'etc/php/8.2/php.ini'));
  });

  test('a relative link that climbs above the root is refused', () => {
    fs.symlinkSync('../../../../../../../../etc/passwd', path.join(root, 'etc/evil'));
    expect(() => resolveInRoot(root, '/etc/evil')).toThrow(/leaves the root/);
  });

  test('a directory link that climbs above the root is refused', () => {
    fs.symlinkSync('../..', path.join(root, 'etc/up'));
    expect(() => resolveInRoot(root, '/etc/up/x')).toThrow(/leaves the root/);
  });

  test('.. in the managed path is refused', () => {
    expect(() => resolveInRoot(root, '/etc/../../x')).toThrow(/leaves the root/);
  });

  test('link loops are refused', () => {
    fs.symlinkSync('/etc/loop2', path.join(root, 'etc/loop1'));
    fs.symlinkSync('/etc/loop1', path.join(root, 'etc/loop2'));
    expect(() => resolveInRoot(root, '/etc/loop1')).toThrow(/too many symbolic links/);
  });

  test('followLast: false leaves a final link itself', () => {
    fs.symlinkSync('/etc/php/8.2/php.ini', path.join(root, 'etc/php.ini'));
    expect(resolveInRoot(root, '/etc/php.ini', false)).toBe(path.join(real, 'etc/php.ini'));
  });
});

describe('isInside', () => {
  test.each([
    ['/r', '/r', true],
    ['/r', '/r/etc/a.conf', true],
    ['/r', '/r/..conf', true],
    ['/r', '/r/..d/x', true],
    ['/r', '/r/../x', false],
    ['/r', '/', false],
    ['/r', '/rx/a', false],
  ])('%s holds %s: %s', (dir, p, inside) => {
    expect(isInside(dir, p)).toBe(inside);
  });
});
