import { HttpException } from '@nestjs/common';
import { brotliDecompressSync, gunzipSync, inflateSync } from 'node:zlib';
import { toProblem } from './problem-details.filter.js';

/**
 * A body that does not decode, as it reaches the filter in the running service: body-parser marks
 * zlib's own error with a 400 (http-errors), and Nest wraps it in an HttpException with its message.
 * Built by hand because under Jest's module realm http-errors does not recognise zlib's Error and
 * replaces its message, which would hide what a real client gets.
 */
const undecodable = (decode: (bytes: Buffer) => Buffer) => {
  const zlibError = (() => {
    try {
      decode(Buffer.from('not compressed at all'));
    } catch (error) {
      return Object.assign(error as Error, { status: 400, statusCode: 400, expose: true });
    }
    throw new Error('it decoded');
  })();
  return new HttpException(zlibError.message, 400, { cause: zlibError });
};

describe('problem details of bodies that do not decode', () => {
  it.each([
    ['gzip', gunzipSync],
    ['deflate', inflateSync],
    ['br', brotliDecompressSync],
  ])('a %s body: 400 in our words, not zlib\'s', (_, decode) => {
    const error = undecodable(decode);
    expect(toProblem(error)).toEqual({
      type: 'https://eventix.dev/problems/bad-request',
      title: 'Bad request',
      status: 400,
      detail: 'The body does not decode as its Content-Encoding says',
    });
    expect(JSON.stringify(toProblem(error))).not.toContain(error.message);
  });
});
