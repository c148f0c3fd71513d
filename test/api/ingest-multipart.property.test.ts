import { Readable } from 'node:stream';
import { buffer } from 'node:stream/consumers';
import { it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { ApiError } from '../../src/api/api-error.js';
import { MultipartFile, multipartBoundary } from '../../src/api/multipart-file.js';

const runs = { numRuns: Number(process.env.SLUICE_PROPERTY_RUNS ?? 100), seed: process.env.SLUICE_TEST_SEED === undefined ? undefined : Number(process.env.SLUICE_TEST_SEED) };

function extract(body: Buffer, boundary: string, cuts: number[]): Promise<Buffer> {
  const pieces: Buffer[] = [];
  let at = 0;
  for (const cut of [...cuts].sort((a, b) => a - b)) {
    if (cut <= at || cut >= body.length) continue;
    pieces.push(body.subarray(at, cut));
    at = cut;
  }
  pieces.push(body.subarray(at));
  return buffer(Readable.from(pieces).pipe(new MultipartFile(boundary)));
}

// Content made of the bytes that matter to the parser: CR, LF, dashes and the boundary's letters,
// so near-delimiters (a CRLF and dashes without the whole boundary) are common.
const content = fc.array(fc.constantFrom(...Buffer.from('\r\n-bx- ab\r\n--b')), { maxLength: 300 }).map((bytes) => Buffer.from(bytes));

it('the file part comes out byte for byte, however the body is cut into chunks', async () => {
  await fc.assert(fc.asyncProperty(content, fc.array(fc.nat(600), { maxLength: 40 }), fc.boolean(), async (file, cuts, withField) => {
    const boundary = 'bxb-ab';
    // The boundary must not occur in the content (RFC 2046): generated content that holds it is skipped.
    fc.pre(!Buffer.concat([Buffer.from('\r\n'), file]).includes(`\r\n--${boundary}`));
    const body = Buffer.concat([
      Buffer.from('preamble to ignore\r\n'),
      withField ? Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="note"\r\n\r\nfield\r\n--b value\r\n`) : Buffer.alloc(0),
      Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="f.csv"\r\nContent-Type: text/csv\r\n\r\n`),
      file,
      Buffer.from(`\r\n--${boundary}--\r\nepilogue`),
    ]);
    assert.deepEqual(await extract(body, boundary, cuts), file);
  }), runs);
});

it('a body cut before its closing boundary is refused, at any cut', async () => {
  await fc.assert(fc.asyncProperty(fc.nat(80), async (cut) => {
    const body = Buffer.from('--q\r\nContent-Disposition: form-data; name="f"; filename="a.csv"\r\n\r\na,b\r\n1,2\r\n--q--\r\n');
    const end = Math.min(cut, body.length - 4);
    await assert.rejects(extract(body.subarray(0, end), 'q', []), (error: unknown) => error instanceof ApiError && error.status === 400);
  }), runs);
});

it('reads the boundary from the Content-Type, quoted or not', () => {
  assert.equal(multipartBoundary('multipart/form-data; boundary=abc'), 'abc');
  assert.equal(multipartBoundary('Multipart/Form-Data; charset=utf-8; boundary="a b;c"'), 'a b;c');
  assert.equal(multipartBoundary('text/csv'), undefined);
  assert.equal(multipartBoundary(undefined), undefined);
  assert.throws(() => multipartBoundary('multipart/form-data'), (error: unknown) => error instanceof ApiError && error.status === 400);
});

it('takes RFC 5987 and escaped file names', async () => {
  const names: string[] = [];
  const body = (disposition: string) => Buffer.from(`--z\r\nContent-Disposition: form-data; name="f"; ${disposition}\r\n\r\nx\r\n--z--\r\n`);
  for (const disposition of ['filename="a \\"q\\".csv"', "filename*=UTF-8''caf%C3%A9.csv", 'filename=plain.csv']) {
    await buffer(Readable.from([body(disposition)]).pipe(new MultipartFile('z', (name) => names.push(name))));
  }
  assert.deepEqual(names, ['a "q".csv', 'café.csv', 'plain.csv']);
});
