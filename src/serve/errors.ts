// HTTP failures. The server's routes throw HttpError for what the client did wrong (400, 404, 413)
// or what the server cannot take now (503, 504); the error handler turns each into one response with
// the KServe v2 error body `{ "error": message }`. Anything else thrown is a 500.

/** An error with the HTTP status (and headers, e.g. Retry-After) its response carries. */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
    this.name = 'HttpError';
  }
}

/** Throws a 400 Bad Request with `message`. */
export function badRequest(message: string): never {
  throw new HttpError(400, message);
}
