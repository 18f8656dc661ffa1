/** Every non-2xx response is `{ error: { code, message, field? } }` — including 404, 405 and upload errors. */
import { STATUS_CODES } from 'node:http';
import type { Socket } from 'node:net';
import type { ErrorRequestHandler, RequestHandler, Response } from 'express';
import { clip, ERROR_STATUS, excerpt, GenfillError, type ErrorBody, type ErrorCode } from '../../core/errors';
import type { Logger } from '../log';
import { closeAfterAnswer } from './upload';

/** Longest error message sent: every message names what was wrong, none carries a client's value at length. */
const MAX_MESSAGE_CHARS = 400;

export function sendError(res: Response, error: GenfillError): void {
  const info = error.toInfo();
  const body: ErrorBody = { error: { ...info, message: clip(info.message, MAX_MESSAGE_CHARS) } };
  res.status(error.status).json(body);
}

export const notFound: RequestHandler = (req, _res, next) => {
  next(new GenfillError('not_found', `no route for ${req.method} ${excerpt(req.path)}`));
};

export function methodNotAllowed(allowed: string[]): RequestHandler {
  return (req, res, next) => {
    res.set('Allow', allowed.join(', '));
    next(new GenfillError('method_not_allowed', `${req.method} is not allowed on ${excerpt(req.path)}; use ${allowed.join(' or ')}`));
  };
}

/** Maps anything thrown by a route or middleware to the JSON error body. */
export function errorHandler(log: Logger): ErrorRequestHandler {
  return (error: unknown, req, res, next) => {
    if (res.headersSent) return next(error);
    // Refused before its body was read (429, 413, a bad params part): answer, then close.
    closeAfterAnswer(req, res);
    if (error instanceof GenfillError) return sendError(res, error);
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
  answerAndClose(socket, status, { code: 'bad_request', message: `malformed HTTP request: ${clip(error.message, 120)}${error.code ? ` (${error.code})` : ''}` });
}

function answerAndClose(socket: Socket, status: number, error: ErrorBody['error']): void {
  const json = JSON.stringify({ error } satisfies ErrorBody);
  socket.end(
    `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nContent-Type: application/json; charset=utf-8\r\n` +
      `Content-Length: ${Buffer.byteLength(json)}\r\nConnection: close\r\n\r\n${json}`,
  );
}

/** The server's `connect` listener: genfill is no proxy, so a CONNECT gets a JSON 405 and the connection closes. */
export function onConnect(_req: unknown, socket: Socket): void {
  socket.on('error', () => socket.destroy());
  answerAndClose(socket, 405, { code: 'method_not_allowed', message: 'CONNECT is not supported: genfill is not a proxy' });
}
