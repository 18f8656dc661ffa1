/** Every non-2xx response is `{ error: { code, message, field? } }` — including 404, 405 and upload errors. */
import { STATUS_CODES } from 'node:http';
import type { Socket } from 'node:net';
import type { ErrorRequestHandler, RequestHandler, Response } from 'express';
import multer from 'multer';
import { ERROR_STATUS, GenfillError, type ErrorBody, type ErrorCode } from '../../core/errors';
import { INPUT_LIMITS } from '../../core/params';
import type { Logger } from '../log';

export function sendError(res: Response, error: GenfillError): void {
  const body: ErrorBody = { error: error.toInfo() };
  res.status(error.status).json(body);
}

export const notFound: RequestHandler = (req, _res, next) => {
  next(new GenfillError('not_found', `no route for ${req.method} ${req.path}`));
};

export function methodNotAllowed(allowed: string[]): RequestHandler {
  return (req, res, next) => {
    res.set('Allow', allowed.join(', '));
    next(new GenfillError('method_not_allowed', `${req.method} is not allowed on ${req.path}; use ${allowed.join(' or ')}`));
  };
}

const MULTER_CODES: Record<string, { code: ErrorCode; message: string }> = {
  LIMIT_FILE_SIZE: { code: 'payload_too_large', message: `a part exceeds ${INPUT_LIMITS.maxBodyBytes} bytes` },
  LIMIT_FIELD_VALUE: { code: 'payload_too_large', message: `the params part exceeds ${INPUT_LIMITS.maxParamsBytes} bytes` },
  LIMIT_PART_COUNT: { code: 'bad_request', message: 'too many parts; send params, image and mask' },
  LIMIT_FILE_COUNT: { code: 'bad_request', message: 'too many files; send one image and one mask' },
  LIMIT_FIELD_COUNT: { code: 'bad_request', message: 'too many fields; send only params' },
  LIMIT_FIELD_KEY: { code: 'bad_request', message: 'a field name is too long' },
  LIMIT_UNEXPECTED_FILE: { code: 'bad_request', message: 'unexpected part; the parts are params, image and mask' },
};

/** Maps anything thrown by a route or middleware to the JSON error body. */
export function errorHandler(log: Logger): ErrorRequestHandler {
  return (error: unknown, req, res, next) => {
    if (res.headersSent) return next(error);
    if (error instanceof GenfillError) return sendError(res, error);
    if (error instanceof multer.MulterError) {
      const mapped = MULTER_CODES[error.code] ?? { code: 'bad_request' as const, message: error.message };
      const field = error.field ? ` (part "${error.field}")` : '';
      return sendError(res, new GenfillError(mapped.code, `${mapped.message}${field}`, error.field));
    }
    // body-parser style errors carry an HTTP status and a type.
    const status = (error as { status?: number }).status;
    if (typeof status === 'number' && status >= 400 && status < 500) {
      const code = (Object.keys(ERROR_STATUS) as ErrorCode[]).find((c) => ERROR_STATUS[c] === status) ?? 'bad_request';
      return sendError(res, new GenfillError(code, (error as Error).message));
    }
    log.error('unhandled error', { method: req.method, path: req.path, error: error instanceof Error ? error.stack : String(error) });
    sendError(res, new GenfillError('internal', 'internal error; see the service log'));
  };
}

/** Node's own answers to requests it cannot parse, as statuses; everything else it cannot parse is a 400. */
const CLIENT_ERROR_STATUS: Record<string, number> = { HPE_HEADER_OVERFLOW: 431, ERR_HTTP_REQUEST_TIMEOUT: 408 };

/**
 * The server's `clientError` listener: a request Node cannot parse (bad header, truncated body, invalid
 * Content-Length, timeout) gets the same JSON error body as every route, instead of Node's bare status line.
 */
export function onClientError(error: NodeJS.ErrnoException, socket: Socket): void {
  // Like Node's default: answer only when nothing has been written on this connection yet.
  if (error.code === 'ECONNRESET' || !socket.writable || socket.bytesWritten > 0) {
    socket.destroy();
    return;
  }
  const status = CLIENT_ERROR_STATUS[error.code ?? ''] ?? 400;
  const body: ErrorBody = { error: { code: 'bad_request', message: `malformed HTTP request: ${error.message}${error.code ? ` (${error.code})` : ''}` } };
  const json = JSON.stringify(body);
  socket.end(
    `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nContent-Type: application/json; charset=utf-8\r\n` +
      `Content-Length: ${Buffer.byteLength(json)}\r\nConnection: close\r\n\r\n${json}`,
  );
}
