import { createHash } from 'node:crypto';

/**
 * Lossless text for config files: valid UTF-8 decodes as usual; every byte that is not
 * part of valid UTF-8 (a Latin-1 comment, say) becomes U+DC80+byte, the way Python's
 * surrogateescape does, and encodes back to the very same byte.
 */
const strictUtf8 = new TextDecoder('utf-8', { fatal: true });
const ESCAPE_BASE = 0xdc00;

export function decodeLossless(buf: Uint8Array): string {
  try {
    return strictUtf8.decode(buf);
  } catch {
    return decodeEscaping(buf);
  }
}

function decodeEscaping(buf: Uint8Array): string {
  let out = '';
  let i = 0;
  while (i < buf.length) {
    const len = utf8SequenceLength(buf, i);
    if (len === 0) {
      out += String.fromCharCode(ESCAPE_BASE + buf[i]);
      i += 1;
    } else {
      out += Buffer.from(buf.subarray(i, i + len)).toString('utf8');
      i += len;
    }
  }
  return out;
}

/** Length of the valid UTF-8 sequence starting at i, or 0 when the byte there is not one. */
function utf8SequenceLength(buf: Uint8Array, i: number): number {
  const b = buf[i];
  if (b < 0x80) return 1;
  const cont = (k: number) => i + k < buf.length && (buf[i + k] & 0xc0) === 0x80;
  if (b >= 0xc2 && b <= 0xdf) return cont(1) ? 2 : 0;
  if (b >= 0xe0 && b <= 0xef) {
    if (!cont(1) || !cont(2)) return 0;
    const b1 = buf[i + 1];
    if (b === 0xe0 && b1 < 0xa0) return 0; // overlong
    if (b === 0xed && b1 >= 0xa0) return 0; // UTF-16 surrogate
    return 3;
  }
  if (b >= 0xf0 && b <= 0xf4) {
    if (!cont(1) || !cont(2) || !cont(3)) return 0;
    const b1 = buf[i + 1];
    if (b === 0xf0 && b1 < 0x90) return 0;
    if (b === 0xf4 && b1 >= 0x90) return 0;
    return 4;
  }
  return 0;
}

const ESCAPED = /[\udc80-\udcff]/;

export function encodeLossless(text: string): Buffer {
  if (!ESCAPED.test(text)) return Buffer.from(text, 'utf8');
  const parts: Buffer[] = [];
  let start = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    const isLowSurrogateAlone = c >= 0xdc80 && c <= 0xdcff && !(i > 0 && isHighSurrogate(text.charCodeAt(i - 1)));
    if (isLowSurrogateAlone) {
      parts.push(Buffer.from(text.slice(start, i), 'utf8'), Buffer.from([c - ESCAPE_BASE]));
      start = i + 1;
    }
  }
  parts.push(Buffer.from(text.slice(start), 'utf8'));
  return Buffer.concat(parts);
}

function isHighSurrogate(c: number): boolean {
  return c >= 0xd800 && c <= 0xdbff;
}

export function isBinary(text: string): boolean {
  return text.includes('\0');
}

/** The sha256 (hex) of bytes, or of lossless text's exact bytes. */
export function sha256Of(data: Uint8Array | string): string {
  return createHash('sha256').update(typeof data === 'string' ? encodeLossless(data) : data).digest('hex');
}

/** A file mode as `ls`/`stat -c %04a` show it: "0644", "2775". */
export function formatMode(mode: number): string {
  return (mode & 0o7777).toString(8).padStart(4, '0');
}
