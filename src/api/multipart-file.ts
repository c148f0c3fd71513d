import { Transform, type TransformCallback } from 'node:stream';
import { ApiError } from './api-error.js';

/**
 * The one file part of a `multipart/form-data` body, as a stream of its bytes: the body is parsed
 * as it arrives (never held whole — Hono's parseBody/formData would buffer it), the file part's
 * content goes out, everything else (form fields, the boundaries, headers) is dropped. Only a
 * delimiter's length of bytes is carried from one chunk to the next.
 *
 *   preamble ─▶ --boundary CRLF ─▶ part headers CRLF CRLF ─▶ content ─▶ CRLF --boundary ( CRLF next part | -- end )
 *
 * Errors are ApiErrors (400): no file part, two file parts, malformed headers, a body that ends
 * before its closing boundary; `onFileName` may refuse the part's file name by throwing one.
 */
const CRLF = Buffer.from('\r\n');
const HEADER_END = Buffer.from('\r\n\r\n');
const MAX_HEADER_BYTES = 16 * 1024;
/** A form field is skipped, but not unboundedly: fields are names and small values. */
const MAX_FIELD_BYTES = 1024 * 1024;

type State = 'preamble' | 'after-delimiter' | 'headers' | 'content' | 'epilogue';

export class MultipartFile extends Transform {
  /** The file part's file name (Content-Disposition `filename`), once its headers have been read. */
  fileName: string | undefined;
  private readonly delimiter: Buffer;
  private state: State = 'preamble';
  // The body's first delimiter has no CRLF before it: start as if one had been read.
  private carry: Buffer = Buffer.from(CRLF);
  private inFile = false;
  private fieldBytes = 0;
  private files = 0;

  constructor(boundary: string, private readonly onFileName: (name: string) => void = () => undefined) {
    super();
    this.delimiter = Buffer.from(`\r\n--${boundary}`);
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    try {
      this.consume(this.carry.length === 0 ? chunk : Buffer.concat([this.carry, chunk]));
      callback();
    } catch (error) {
      callback(error as Error);
    }
  }

  override _flush(callback: TransformCallback): void {
    if (this.state !== 'epilogue') callback(bad('the multipart body ended before its closing boundary'));
    else if (this.files === 0) callback(bad('the multipart body has no file part'));
    else callback();
  }

  private consume(buffer: Buffer): void {
    let at = 0;
    for (;;) {
      switch (this.state) {
        case 'preamble':
        case 'content': {
          const found = buffer.indexOf(this.delimiter, at);
          const end = found === -1 ? Math.max(at, buffer.length - this.delimiter.length + 1) : found;
          if (this.state === 'content') this.emitContent(buffer.subarray(at, end));
          if (found === -1) { this.carry = Buffer.from(buffer.subarray(end)); return; }
          this.inFile = false;
          at = found + this.delimiter.length;
          this.state = 'after-delimiter';
          break;
        }
        case 'after-delimiter': {
          if (buffer.length - at < 2) { this.carry = Buffer.from(buffer.subarray(at)); return; }
          if (buffer[at] === 0x2d && buffer[at + 1] === 0x2d) { this.state = 'epilogue'; this.carry = Buffer.alloc(0); return; }
          // Transport padding (spaces, tabs) may follow a delimiter before its CRLF.
          const lineEnd = buffer.indexOf(CRLF, at);
          if (lineEnd === -1) { this.carry = Buffer.from(buffer.subarray(at)); return; }
          if (buffer.subarray(at, lineEnd).some((b) => b !== 0x20 && b !== 0x09)) throw bad('malformed multipart boundary line');
          at = lineEnd + 2;
          this.state = 'headers';
          break;
        }
        case 'headers': {
          const end = buffer.indexOf(HEADER_END, at);
          if (end === -1) {
            if (buffer.length - at > MAX_HEADER_BYTES) throw bad('multipart part headers are too long');
            this.carry = Buffer.from(buffer.subarray(at));
            return;
          }
          this.startPart(buffer.subarray(at, end).toString('utf8'));
          at = end + HEADER_END.length;
          // A part with no headers at all has its content straight after the blank line.
          this.state = 'content';
          break;
        }
        case 'epilogue':
          this.carry = Buffer.alloc(0);
          return;
      }
    }
  }

  private startPart(headers: string): void {
    const disposition = headers.split('\r\n').find((line) => /^content-disposition\s*:/i.test(line));
    if (disposition === undefined) throw bad('a multipart part has no Content-Disposition header');
    const fileName = dispositionParameter(disposition, 'filename');
    if (fileName === undefined) {
      this.inFile = false;
      this.fieldBytes = 0;
      return;
    }
    if (++this.files > 1) throw bad('the multipart body has more than one file part: upload one file per request');
    this.onFileName(fileName);
    this.fileName = fileName;
    this.inFile = true;
  }

  private emitContent(bytes: Buffer): void {
    if (bytes.length === 0) return;
    if (this.inFile) {
      this.push(Buffer.from(bytes));
      return;
    }
    this.fieldBytes += bytes.length;
    if (this.fieldBytes > MAX_FIELD_BYTES) throw bad('a multipart form field is larger than 1 MiB');
  }
}

/** `filename="a b.csv"` or `filename=a.csv` (RFC 7578: quoted, with `\"` escapes), or `filename*=UTF-8''…`. */
function dispositionParameter(header: string, name: string): string | undefined {
  const extended = new RegExp(`;\\s*${name}\\*\\s*=\\s*([^;]+)`, 'i').exec(header);
  if (extended !== null) {
    const value = extended[1].trim().replace(/^[^']*'[^']*'/, '');
    try { return decodeURIComponent(value); } catch { throw bad(`malformed ${name}* parameter`); }
  }
  const quoted = new RegExp(`;\\s*${name}\\s*=\\s*"((?:[^"\\\\]|\\\\.)*)"`, 'i').exec(header);
  if (quoted !== null) return quoted[1].replace(/\\(.)/g, '$1');
  const token = new RegExp(`;\\s*${name}\\s*=\\s*([^;\\s]+)`, 'i').exec(header);
  return token?.[1];
}

function bad(message: string): ApiError {
  return new ApiError(400, 'SLUICE_ERR_UPLOAD_MULTIPART', message);
}

/** The boundary of a `multipart/form-data` Content-Type, or undefined for any other type. */
export function multipartBoundary(contentType: string | undefined): string | undefined {
  if (contentType === undefined || !/^multipart\/form-data\s*(;|$)/i.test(contentType)) return undefined;
  const match = /;\s*boundary\s*=\s*(?:"([^"]{1,70})"|([^;\s]{1,70}))/i.exec(contentType);
  if (match === null) throw bad('multipart/form-data without a boundary');
  return match[1] ?? match[2];
}
