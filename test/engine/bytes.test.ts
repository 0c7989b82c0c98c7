import fc from 'fast-check';
import { decodeLossless, encodeLossless } from '../../src/engine/bytes';

describe('lossless text', () => {
  test('valid UTF-8 decodes as usual', () => {
    expect(decodeLossless(Buffer.from('date.timezone = Europe/Zürich\n'))).toBe('date.timezone = Europe/Zürich\n');
  });

  test('a Latin-1 comment survives a round trip byte for byte', () => {
    const bytes = Buffer.concat([Buffer.from('; caf'), Buffer.from([0xe9]), Buffer.from(' cr'), Buffer.from([0xe8, 0x6d, 0x65]), Buffer.from('\nx = 1\n')]);
    const text = decodeLossless(bytes);
    expect(text.startsWith('; caf')).toBe(true);
    expect(encodeLossless(text)).toEqual(bytes);
    expect(encodeLossless(text.replace('x = 1', 'x = 2'))).toEqual(Buffer.from(bytes.toString('latin1').replace('x = 1', 'x = 2'), 'latin1'));
  });

  test('any bytes round-trip exactly', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), (arr) => {
        expect(encodeLossless(decodeLossless(arr))).toEqual(Buffer.from(arr));
      }),
      { numRuns: 500 },
    );
  });
});
