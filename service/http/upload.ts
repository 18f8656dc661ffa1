/**
 * Reading the `POST /v1/jobs` multipart body: parts `params` (JSON, as a field or a file part), `image` and
 * `mask`, held in memory within the input limits.
 */
import type { Request, RequestHandler } from 'express';
import multer from 'multer';
import { GenfillError } from '../../core/errors';
import { INPUT_LIMITS } from '../../core/params';
import type { UploadedPart } from '../jobs/inputs';

const upload = multer({
  storage: multer.memoryStorage(),
  limits: {
    fileSize: INPUT_LIMITS.maxBodyBytes,
    fieldSize: INPUT_LIMITS.maxParamsBytes,
    files: 3,
    fields: 1,
    parts: 3,
  },
}).fields([
  { name: 'params', maxCount: 1 },
  { name: 'image', maxCount: 1 },
  { name: 'mask', maxCount: 1 },
]);

/** Checks the envelope (type, declared length) before multer reads anything, then parses the parts. */
export const readMultipart: RequestHandler = (req, res, next) => {
  if (!req.is('multipart/form-data')) {
    return next(
      new GenfillError('unsupported_format', `expected a multipart/form-data body with parts params, image and mask (got ${req.headers['content-type'] ?? 'no content type'})`),
    );
  }
  const declared = Number(req.headers['content-length'] ?? 0);
  if (declared > INPUT_LIMITS.maxBodyBytes) {
    req.resume();
    return next(new GenfillError('payload_too_large', `the body is ${declared} bytes; the limit is ${INPUT_LIMITS.maxBodyBytes}`));
  }
  upload(req, res, (error?: unknown) => {
    if (!error || error instanceof multer.MulterError || error instanceof GenfillError) return next(error);
    // busboy's parse errors ("Malformed part header", "Unexpected end of form", …) are the client's.
    next(new GenfillError('bad_request', `malformed multipart body: ${(error as Error).message}`));
  });
};

export interface JobUpload {
  paramsText: string;
  image: UploadedPart;
  mask: UploadedPart;
}

export function jobUpload(req: Request): JobUpload {
  const files = (req.files ?? {}) as Record<string, Express.Multer.File[] | undefined>;
  const file = (name: string) => files[name]?.[0];
  const paramsField = (req.body as Record<string, unknown> | undefined)?.params;
  const paramsText = typeof paramsField === 'string' ? paramsField : file('params')?.buffer.toString('utf8');
  if (paramsText === undefined) throw new GenfillError('invalid_params', 'params: the part is missing (JSON job parameters)', 'params');
  const part = (name: 'image' | 'mask'): UploadedPart => {
    const f = file(name);
    if (!f) throw new GenfillError('bad_request', `${name}: the part is missing`, name);
    return { bytes: new Uint8Array(f.buffer.buffer, f.buffer.byteOffset, f.buffer.byteLength), contentType: f.mimetype };
  };
  return { paramsText, image: part('image'), mask: part('mask') };
}
