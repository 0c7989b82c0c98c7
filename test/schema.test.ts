import * as fs from 'node:fs';
import * as path from 'node:path';
import Ajv, { type ValidateFunction } from 'ajv';
import addFormats from 'ajv-formats';
import { parse } from 'yaml';
import { manifestSchema } from '../src/manifest/schema';
import { kinds } from '../src/resources';
import { runCli } from './helpers/cli';

// schema/manifest.schema.json is what editors (yaml-language-server) and users see:
// it must be the schema remedy itself validates with, and it must accept every
// manifest the project ships or tests as valid.

const repo = path.join(__dirname, '..');
const SCHEMA_FILE = path.join(repo, 'schema', 'manifest.schema.json');
const FIXTURES = path.join(repo, 'test', 'fixtures');
/** Error fixtures whose error is the schema's (the others are semantic: ids, cycles, regexes, the disk). */
const SCHEMA_ERROR_FIXTURES = ['unknown-field', 'unknown-kind', 'wrong-type'];

function committedSchema(): unknown {
  return JSON.parse(fs.readFileSync(SCHEMA_FILE, 'utf8'));
}

/** `*.yml` / `*.yaml` files below `dir`, skipping the before/ and after/ trees of fixture cases. */
function yamlFiles(dir: string): string[] {
  if (!fs.existsSync(dir)) return [];
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const full = path.join(dir, e.name);
    if (e.isDirectory()) return e.name === 'before' || e.name === 'after' ? [] : yamlFiles(full);
    return /\.ya?ml$/.test(e.name) ? [full] : [];
  });
}

function fixtureCases(): string[] {
  return fs.readdirSync(FIXTURES).flatMap((kind) => {
    const kindDir = path.join(FIXTURES, kind);
    if (!fs.statSync(kindDir).isDirectory()) return [];
    return fs
      .readdirSync(kindDir)
      .map((c) => path.join(kindDir, c))
      .filter((c) => fs.existsSync(path.join(c, 'manifest.yml')));
  });
}

/** Every manifest the repository ships (manifests/, examples/) and every non-error fixture's. */
function validManifests(): string[] {
  const shipped = [...yamlFiles(path.join(repo, 'manifests')), ...yamlFiles(path.join(repo, 'examples'))];
  const fixtures = fixtureCases()
    .filter((c) => !fs.existsSync(path.join(c, 'error.txt')))
    .flatMap(yamlFiles);
  return [...shipped, ...fixtures].map((f) => path.relative(repo, f)).sort();
}

let validator: ValidateFunction | undefined;
/**
 * The committed schema compiled by a strict ajv with the formats plugin, as an editor or CI
 * would. Two strict checks are relaxed for sound draft-07: `type: [string, number, boolean]`
 * (vars) and `oneOf: [{required: [http]}, ...]` naming properties declared beside it.
 */
function validate(): ValidateFunction {
  if (!validator) {
    const ajv = new Ajv({ allErrors: true, strict: true, strictRequired: false, allowUnionTypes: true });
    addFormats(ajv);
    validator = ajv.compile(committedSchema() as object);
  }
  return validator;
}

/** JSON paths where two values differ (the first few tell which kind's schema moved). */
function differences(a: unknown, b: unknown, at = ''): string[] {
  if (a !== null && b !== null && typeof a === 'object' && typeof b === 'object' && Array.isArray(a) === Array.isArray(b)) {
    const keys = [...new Set([...Object.keys(a), ...Object.keys(b)])];
    return keys.flatMap((k) => differences((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k], `${at}/${k}`));
  }
  return JSON.stringify(a) === JSON.stringify(b) ? [] : [at || '/'];
}

function errorsOf(file: string): string {
  return (validate().errors ?? []).map((e) => `${file}: ${e.instancePath || '/'} ${e.message} ${JSON.stringify(e.params)}`).join('\n');
}

describe('schema/manifest.schema.json', () => {
  test('is up to date with the registered kinds (run `npm run schema` to regenerate it)', () => {
    expect(fs.existsSync(SCHEMA_FILE)).toBe(true);
    const generated = JSON.stringify(manifestSchema(kinds), null, 2) + '\n';
    const committed = fs.readFileSync(SCHEMA_FILE, 'utf8');
    if (committed !== generated) {
      const where = differences(JSON.parse(committed), JSON.parse(generated)).slice(0, 5).join(', ');
      throw new Error(`schema/manifest.schema.json is stale (differs at ${where || 'formatting'}). Run \`npm run schema\` and commit the result.`);
    }
  });

  test('is what the committed validator was compiled from (run `npm run schema` to regenerate it)', () => {
    const { generateValidator, TARGET } = require('../scripts/write-validator.js');
    expect(fs.readFileSync(TARGET, 'utf8') === generateValidator(committedSchema())).toBe(true);
  });

  test('is a valid draft-07 schema that strict ajv compiles, and names every kind', () => {
    const ajv = new Ajv({ strict: true, strictRequired: false, allowUnionTypes: true });
    addFormats(ajv);
    expect(ajv.validateSchema(committedSchema() as object)).toBe(true);
    expect(() => validate()).not.toThrow();
    const schema = committedSchema() as { properties: { resources: { items: { properties: { type: { enum: string[] } } } } } };
    expect(schema.properties.resources.items.properties.type.enum).toEqual(kinds.map((k) => k.kind));
  });

  test('`remedy schema` prints exactly the committed file', async () => {
    const run = await runCli(['schema']);
    expect(run.code).toBe(0);
    expect(run.stderr).toBe('');
    expect(run.stdout).toBe(fs.readFileSync(SCHEMA_FILE, 'utf8'));
    expect(JSON.parse(run.stdout)).toEqual(committedSchema());
  });

  test('the example and fixture manifests are found', () => {
    const files = validManifests();
    expect(files).toContain(path.join('manifests', 'php.yml'));
    expect(files.filter((f) => f.startsWith('test/fixtures/')).length).toBeGreaterThanOrEqual(50);
  });

  test.each(validManifests())('accepts %s', (file) => {
    const data = parse(fs.readFileSync(path.join(repo, file), 'utf8'));
    const ok = validate()(data);
    if (!ok) throw new Error(`the committed schema rejects a valid manifest:\n${errorsOf(file)}`);
  });

  test.each(SCHEMA_ERROR_FIXTURES)('rejects the schema-error fixture errors/%s', (name) => {
    const file = path.join(FIXTURES, 'errors', name, 'manifest.yml');
    expect(validate()(parse(fs.readFileSync(file, 'utf8')))).toBe(false);
  });
});
