'use strict';
// The scaling shapes: remedy alone, each shape at 4 sizes, and the exponent k fitted to
// time ~ size^k (least squares on log-log). A shape is linear when k stays near 1; the
// sizes double, so a quadratic cost shows as k near 2 however fast the constant is.
const fs = require('node:fs');
const path = require('node:path');
const { median, peakRssMiB, timeCommand } = require('./measure');
const { writeTree } = require('./tasks');

const INI = '/etc/bench/shape.ini';
const TEXT = '/etc/bench/shape.conf';
const GLOB_DIR = '/etc/bench/conf.d';

const resource = (fields) => `  - ${JSON.stringify(fields)}`;
const manifestOf = (resources) => `resources:\n${resources.join('\n')}\n`;
const range = (n) => Array.from({ length: n }, (_, i) => i);

/** Each shape(n) -> { tree, manifest, expect: [path, text it must contain] }. */
const SHAPES = [
  {
    name: 'ini-one-section',
    title: 'n keys in ONE section, each changed',
    make: (n) => ({
      tree: { [INI]: `[main]\n${range(n).map((i) => `key${i} = old${i}\n`).join('')}` },
      manifest: manifestOf(range(n).map((i) => resource({ id: `e${i}`, type: 'ini', path: INI, section: 'main', key: `key${i}`, value: `new${i}` }))),
      expect: [INI, `\nkey${n - 1} = new${n - 1}\n`],
    }),
  },
  {
    name: 'ini-new-keys',
    title: 'n NEW keys into one section (of a file with n keys in 100-key sections after it)',
    make: (n) => ({
      tree: { [INI]: `[main]\nfirst = 1\n\n${range(n).map((i) => `${i % 100 === 0 ? `[s${i / 100}]\n` : ''}other${i} = ${i}\n`).join('')}` },
      manifest: manifestOf(range(n).map((i) => resource({ id: `e${i}`, type: 'ini', path: INI, section: 'main', key: `new${i}`, value: `${i}` }))),
      expect: [INI, `\nnew${n - 1} = ${n - 1}\n\n[s0]\n`],
    }),
  },
  {
    name: 'ini-global',
    title: 'n keys in the global area (no section), each changed',
    make: (n) => ({
      tree: { [INI]: range(n).map((i) => `key${i}=old${i}\n`).join('') },
      manifest: manifestOf(range(n).map((i) => resource({ id: `e${i}`, type: 'ini', path: INI, section: '', key: `key${i}`, value: `new${i}`, separator: '=' }))),
      expect: [INI, `\nkey${n - 1}=new${n - 1}\n`],
    }),
  },
  {
    name: 'line-match',
    title: 'n line edits by match in a file of n lines',
    make: (n) => ({
      tree: { [TEXT]: range(n).map((i) => `option${i} off\n`).join('') },
      manifest: manifestOf(range(n).map((i) => resource({ id: `e${i}`, type: 'line', path: TEXT, line: `option${i} on`, match: `^option${i} ` }))),
      expect: [TEXT, `\noption${n - 1} on\n`],
    }),
  },
  {
    name: 'line-new',
    title: 'n new lines appended to a file of n lines',
    make: (n) => ({
      tree: { [TEXT]: range(n).map((i) => `present${i}\n`).join('') },
      manifest: manifestOf(range(n).map((i) => resource({ id: `e${i}`, type: 'line', path: TEXT, line: `added${i}` }))),
      expect: [TEXT, `\nadded${n - 1}\n`],
    }),
  },
  {
    name: 'replace-many',
    title: 'n replace resources in a file of n lines',
    make: (n) => ({
      tree: { [TEXT]: range(n).map((i) => `value${i} = before\n`).join('') },
      manifest: manifestOf(range(n).map((i) => resource({ id: `e${i}`, type: 'replace', path: TEXT, pattern: `^value${i} = before$`, replacement: `value${i} = after` }))),
      expect: [TEXT, `\nvalue${n - 1} = after\n`],
    }),
  },
  {
    name: 'files-glob',
    title: 'n files by one glob, one edit each',
    make: (n) => ({
      tree: Object.fromEntries(range(n).map((i) => [`${GLOB_DIR}/f${String(i).padStart(6, '0')}.ini`, `[main]\nlisten = 80\n`])),
      manifest: manifestOf([resource({ id: 'listen', type: 'ini', path: `${GLOB_DIR}/*.ini`, section: 'main', key: 'listen', value: '8080' })]),
      expect: [`${GLOB_DIR}/f${String(n - 1).padStart(6, '0')}.ini`, 'listen = 8080'],
    }),
  },
  {
    name: 'big-file',
    title: 'one ini edit at the end of a file of n x 250 lines (200 MB at n = 10,000)',
    make: (n) => ({
      tree: { [INI]: `[main]\n${'filler = 0123456789012345678901234567890123456789012345678901234567890123456789\n'.repeat(n * 250)}last = 0\n` },
      manifest: manifestOf([resource({ id: 'last', type: 'ini', path: INI, section: 'main', key: 'last', value: '1' })]),
      expect: [INI, '\nlast = 1\n'],
    }),
  },
];

/**
 * k in (time - fixed) = c * size^k, least squares on the logs. The fixed cost (a run of
 * one edit) is taken off first: left in, it would flatten any curve towards k = 0.
 */
function fittedExponent(points, fixed) {
  const xs = points.map((p) => Math.log(p.size));
  const ys = points.map((p) => Math.log(Math.max(p.median - fixed, 1e-4)));
  const mx = xs.reduce((a, b) => a + b, 0) / xs.length;
  const my = ys.reduce((a, b) => a + b, 0) / ys.length;
  const num = xs.reduce((s, x, i) => s + (x - mx) * (ys[i] - my), 0);
  const den = xs.reduce((s, x) => s + (x - mx) ** 2, 0);
  return num / den;
}

/** One shape at one size: its tree written once, then drifted runs (the tree restored before each). */
function measurePoint(ws, shape, size, remedyCommand, machine) {
  const dir = path.join(ws, 'shapes', `${shape.name}-${size}`);
  const { tree, manifest, expect } = shape.make(size);
  const pristine = path.join(dir, 'pristine');
  const root = path.join(dir, 'root');
  writeTree(pristine, tree);
  const manifestPath = path.join(dir, 'manifest.yml');
  fs.writeFileSync(manifestPath, manifest);
  const restore = `rm -rf '${root}' && cp -a '${pristine}' '${root}'`;
  const argv = remedyCommand(manifestPath, root);
  const times = timeCommand(argv, { runs: 3, prepare: restore, hyperfine: machine.hyperfine });
  const [file, wanted] = expect;
  if (!fs.readFileSync(path.join(root, file), 'utf8').includes(wanted)) throw new Error(`${shape.name} at ${size}: remedy did not do the work (${file} lacks ${JSON.stringify(wanted)})`);
  const point = { size, median: median(times), bytes: totalBytes(tree), manifestBytes: manifest.length };
  if (machine.rss) point.rssMiB = peakRssMiB(argv, restore);
  fs.rmSync(dir, { recursive: true, force: true });
  return point;
}

function totalBytes(tree) {
  return Object.values(tree).reduce((sum, text) => sum + Buffer.byteLength(text), 0);
}

/** Every shape at every size; `sizes` are the n of the shapes (big-file: n x 250 lines). */
function benchShapes(ws, remedyCommand, machine, { sizes, names }) {
  console.error('\nbench: shapes (remedy only, 3 drifted runs a point)');
  const fixed = measurePoint(ws, SHAPES[0], 1, remedyCommand, { ...machine, rss: false }).median;
  console.error(`  fixed cost (one edit): ${fixed.toFixed(3)} s`);
  const shapes = SHAPES.filter((s) => !names || names.includes(s.name)).map((shape) => {
    const points = sizes.map((size) => {
      const point = measurePoint(ws, shape, size, remedyCommand, machine);
      console.error(`  ${shape.name} n=${size}: ${point.median.toFixed(3)} s${point.rssMiB ? `, ${point.rssMiB.toFixed(1)} MiB` : ''}`);
      return point;
    });
    const exponent = fittedExponent(points, fixed);
    console.error(`  ${shape.name}: fitted exponent ${exponent.toFixed(2)}`);
    return { name: shape.name, title: shape.title, points, exponent };
  });
  return { fixed, shapes };
}

module.exports = { SHAPES, benchShapes, fittedExponent };
