import type { Diagnostic } from '../engine/diagnostics';
import type { JsonPath, YamlFile } from './yaml-file';

export type Vars = Record<string, string>;

const REFERENCE = /\$\$\{|\$\{([^}]*)\}/g;

/** Far above any real path or setting; stops `v1: "${v0}${v0}"` ... from doubling into gigabytes. */
const MAX_VAR_LENGTH = 1 << 20;

/**
 * Replaces `${name}` in every string of `value` with its variable; `$${` stays a literal
 * `${`. Unknown names are reported at their position, naming the variable.
 */
export function interpolate(value: unknown, vars: Vars, src: YamlFile, at: JsonPath, diagnostics: Diagnostic[], resourceId?: string): unknown {
  if (typeof value === 'string') return interpolateString(value, vars, (name) => {
    diagnostics.push({
      severity: 'error',
      summary: `unknown variable \${${name}}`,
      hint: unknownHint(name, vars),
      resourceId,
      source: src.pos(at),
    });
  });
  if (Array.isArray(value)) return value.map((v, i) => interpolate(v, vars, src, [...at, i], diagnostics, resourceId));
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, interpolate(v, vars, src, [...at, k], diagnostics, resourceId)]));
  }
  return value;
}

/** Where a name could come from, and the names known there: the vars, or the keys under `facts.`, `host.` or `item.`. */
function unknownHint(name: string, vars: Vars): string {
  const dot = name.lastIndexOf('.');
  if (dot > 0) {
    const parent = `${name.slice(0, dot)}.`;
    const near = [...new Set(Object.keys(vars).filter((k) => k.startsWith(parent)).map((k) => k.slice(0, k.indexOf('.', parent.length) === -1 ? undefined : k.indexOf('.', parent.length))))];
    if (near.length > 0) return `${parent.slice(0, -1)} has: ${near.map((k) => k.slice(parent.length)).sort().join(', ')} (remedy facts lists them all)`;
  }
  const own = Object.keys(vars).filter((k) => !k.includes('.')).sort();
  return own.length ? `define it under vars: or pass --var ${name}=VALUE (known: ${own.join(', ')}); write $\${ for a literal \${` : `define it under vars: or pass --var ${name}=VALUE; write $\${ for a literal \${`;
}

/**
 * Expands variables that use other variables (`php_ini: /etc/php/${php_version}/...`),
 * after --var overrides, so an override reaches every variable built on it. A cycle or
 * an unknown name is reported at the variable (`at(name)`); its value is left as written.
 */
export function resolveVars(vars: Vars, at: (name: string) => { src: YamlFile; path: JsonPath } | undefined, diagnostics: Diagnostic[]): Vars {
  const resolved: Vars = {};
  const chain: string[] = [];
  const report = (name: string, summary: string, hint: string) => {
    const where = at(name);
    diagnostics.push({ severity: 'error', summary, hint, source: where?.src.pos(where.path) });
  };
  const resolve = (name: string): string => {
    if (Object.prototype.hasOwnProperty.call(resolved, name)) return resolved[name];
    if (chain.includes(name)) {
      report(name, `variable cycle: ${[...chain.slice(chain.indexOf(name)), name].join(' -> ')}`, 'a variable may use other variables, but not itself through them');
      return vars[name];
    }
    chain.push(name);
    let value = interpolateString(vars[name], vars, (ref) => report(name, `unknown variable \${${ref}} in variable ${name}`, `define it under vars: or pass --var ${ref}=VALUE; write $\${ for a literal \${`), resolve);
    chain.pop();
    if (value.length > MAX_VAR_LENGTH) {
      report(name, `variable ${name} expands to ${value.length} characters, more than ${MAX_VAR_LENGTH}`, 'a variable that uses another several times doubles at each level; put large content in a file (file kind source:) instead');
      value = vars[name]; // left as written, so that variables built on it stay small too
    }
    return (resolved[name] = value);
  };
  for (const name of Object.keys(vars)) resolve(name);
  return resolved;
}

function interpolateString(s: string, vars: Vars, unknown: (name: string) => void, valueOf: (name: string) => string = (name) => vars[name]): string {
  return s.replace(REFERENCE, (whole, name: string | undefined) => {
    if (name === undefined) return '${';
    if (Object.prototype.hasOwnProperty.call(vars, name)) return valueOf(name);
    unknown(name);
    return whole;
  });
}
