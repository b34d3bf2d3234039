// HTTP failures. The server's routes throw HttpError for what the client did wrong (400, 404, 413)
// or what the server cannot take now (503, 504); the error handler turns each into one response with
// the KServe v2 error body `{ "error": message }`. Anything else thrown is a 500.

import { fail } from '../errors.js';
import { describe } from '../options.js';

/**
 * An error with the HTTP status (and headers, e.g. Retry-After) its response carries. Handlers
 * throw it to answer with a 4xx or 5xx of their choosing.
 * @example throw new HttpError(422, 'the image must be 28 x 28')
 */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly headers: Record<string, string> = {},
  ) {
    // Checked before super(): a message that is not a string would otherwise be converted (and an
    // object without a prototype cannot be).
    if (!Number.isInteger(status) || status < 400 || status > 599)
      fail('INVALID_ARGUMENT', `HttpError: status must be an integer from 400 to 599, got ${describe(status)}`);
    if (typeof message !== 'string')
      fail('INVALID_ARGUMENT', `HttpError: message must be a string, got ${describe(message)}`);
    if (
      headers === null ||
      typeof headers !== 'object' ||
      Array.isArray(headers) ||
      !Object.values(headers).every((v) => typeof v === 'string')
    )
      fail('INVALID_ARGUMENT', `HttpError: headers must be an object of strings, got ${describe(headers)}`);
    super(message);
    this.name = 'HttpError';
  }
}

/** Throws a 400 Bad Request with `message`. */
export function badRequest(message: string): never {
  throw new HttpError(400, message);
}
