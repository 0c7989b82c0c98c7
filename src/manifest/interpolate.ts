import type { Diagnostic } from '../engine/diagnostics';
import type { JsonPath, YamlFile } from './yaml-file';

export type Vars = Record<string, string>;

const REFERENCE = /\$\$\{|\$\{([^}]*)\}/g;

/**
 * Replaces `${name}` in every string of `value` with its variable; `$${` stays a literal
 * `${`. Unknown names are reported at their position, naming the variable.
 */
export function interpolate(value: unknown, vars: Vars, src: YamlFile, at: JsonPath, diagnostics: Diagnostic[], resourceId?: string): unknown {
  if (typeof value === 'string') return interpolateString(value, vars, (name) => {
    diagnostics.push({
      severity: 'error',
      summary: `unknown variable \${${name}}`,
      hint: Object.keys(vars).length ? `define it under vars: or pass --var ${name}=VALUE (known: ${Object.keys(vars).sort().join(', ')}); write $\${ for a literal \${` : `define it under vars: or pass --var ${name}=VALUE; write $\${ for a literal \${`,
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

function interpolateString(s: string, vars: Vars, unknown: (name: string) => void): string {
  return s.replace(REFERENCE, (whole, name: string | undefined) => {
    if (name === undefined) return '${';
    if (Object.prototype.hasOwnProperty.call(vars, name)) return vars[name];
    unknown(name);
    return whole;
  });
}
