/**
 * ServiceClient over fetch. Pixels go up as raw bytes in a multipart body the client builds itself (multipart.ts:
 * UXP's FormData renames and may retype parts) and come back as binary bodies; progress is polled
 * (`GET /v1/jobs/:id`), which works on every UXP version.
 */
import { ERROR_STATUS } from '../../core/errors';
import type { ErrorBody, ErrorCode } from '../../core/errors';
import { RAW_HEADERS, ROUTES, THUMBNAIL_MAX_SIDE } from '../../core/protocol';
import type { Health, JobCreated, JobParams, JobSnapshot } from '../../core/protocol';
import type { RawImage } from '../raw-image';
import { ServiceError } from './service-client';
import type { EncodedImage, JobRequest, ServiceClient } from './service-client';
import { asciiJson, multipartBody } from './multipart';

export type FetchLike = (input: string, init?: RequestInit) => Promise<Response>;

const RAW_TYPE = 'application/octet-stream';
/** How UXP rejects a fetch to an origin the manifest does not list ("Permission denied to the url … Manifest entry not found."). */
const BLOCKED = /permission denied|manifest entry not found/i;

export class HttpServiceClient implements ServiceClient {
  readonly url: string;
  readonly #fetch: FetchLike;
  readonly #client: string;
  readonly #token: string | null;

  /**
   * `url` is the service origin, e.g. "http://127.0.0.1:7870"; `token` the bearer token of a service that requires
   * one; `clientName` goes into the job params for the service's logs.
   */
  constructor(url: string, options: { fetch?: FetchLike; clientName?: string; token?: string | null } = {}) {
    this.url = url.replace(/\/+$/, '');
    this.#fetch = options.fetch ?? ((input, init) => fetch(input, init));
    this.#client = options.clientName ?? 'photoshop-panel';
    this.#token = options.token ?? null;
  }

  async health(): Promise<Health> {
    const health = (await this.#json(ROUTES.health)) as Partial<Health>;
    if (!health || typeof health !== 'object' || typeof health.protocol !== 'number' || !Array.isArray(health.engines)) {
      throw new ServiceError('bad_response', `${this.url} answered, but not as a genfill service. Check the address.`, null);
    }
    return health as Health;
  }

  async createJob(request: JobRequest): Promise<JobCreated> {
    const { image, mask } = request;
    const params: JobParams = {
      ...request.params,
      client: this.#client,
      image: { width: image.width, height: image.height, channels: image.channels },
      mask: { width: mask.width, height: mask.height, channels: mask.channels },
    };
    const { body, contentType } = multipartBody([
      { name: 'params', contentType: 'application/json', data: asciiJson(params) },
      { name: 'image', contentType: RAW_TYPE, filename: 'image.raw', data: image.data },
      { name: 'mask', contentType: RAW_TYPE, filename: 'mask.raw', data: mask.data },
    ]);
    return (await this.#json(ROUTES.jobs, { method: 'POST', body, headers: { 'Content-Type': contentType } })) as JobCreated;
  }

  async job(id: string): Promise<JobSnapshot> {
    return (await this.#json(ROUTES.job(id))) as JobSnapshot;
  }

  async cancel(id: string): Promise<void> {
    const response = await this.#request(ROUTES.job(id), { method: 'DELETE' });
    await response.arrayBuffer();
  }

  async result(id: string, index: number): Promise<RawImage> {
    const response = await this.#request(`${ROUTES.result(id, index)}?format=raw`);
    const width = Number(response.headers.get(RAW_HEADERS.width));
    const height = Number(response.headers.get(RAW_HEADERS.height));
    const channels = Number(response.headers.get(RAW_HEADERS.channels));
    const data = new Uint8Array(await response.arrayBuffer());
    if (!(channels === 1 || channels === 3 || channels === 4) || data.length !== width * height * channels) {
      throw new ServiceError('bad_response', `Result ${index} of job ${id} is ${data.length} bytes, not ${width}×${height}×${channels}.`, response.status);
    }
    return { width, height, channels, data };
  }

  async resultImage(id: string, index: number): Promise<EncodedImage> {
    return this.#encoded(await this.#request(ROUTES.resultThumbnail(id, index, THUMBNAIL_MAX_SIDE)));
  }

  async preview(id: string): Promise<EncodedImage | null> {
    try {
      return await this.#encoded(await this.#request(ROUTES.preview(id)));
    } catch (error) {
      if (error instanceof ServiceError && error.status === 404) return null;
      throw error;
    }
  }

  async #encoded(response: Response): Promise<EncodedImage> {
    const mimeType = (response.headers.get('content-type') ?? 'image/png').split(';')[0].trim();
    return { bytes: new Uint8Array(await response.arrayBuffer()), mimeType };
  }

  async #json(path: string, init?: RequestInit): Promise<unknown> {
    const response = await this.#request(path, init);
    try {
      return await response.json();
    } catch {
      throw new ServiceError('bad_response', `${this.url}${path} did not answer with JSON. Is this a genfill service?`, response.status);
    }
  }

  /** fetch + error mapping: no answer → `unreachable`; non-2xx → the service's own error code and message. */
  async #request(path: string, init?: RequestInit): Promise<Response> {
    let response: Response;
    try {
      const headers = this.#token ? { ...init?.headers, Authorization: `Bearer ${this.#token}` } : init?.headers;
      response = await this.#fetch(this.url + path, { ...init, headers });
    } catch (error) {
      const detail = error instanceof Error ? error.message : String(error);
      if (BLOCKED.test(detail)) throw new ServiceError('blocked', `Photoshop blocked the request to ${this.url}: ${detail}`, null);
      throw new ServiceError('unreachable', `The genfill service at ${this.url} is not reachable (${detail}).`, null);
    }
    if (response.ok) return response;
    const text = await response.text();
    let body: Partial<ErrorBody> | null = null;
    try {
      body = JSON.parse(text) as Partial<ErrorBody>;
    } catch {
      // Not a protocol error body; reported below with the status.
    }
    const info = body?.error;
    if (info && typeof info.message === 'string' && typeof info.code === 'string' && info.code in ERROR_STATUS) {
      throw new ServiceError(info.code as ErrorCode, info.message, response.status);
    }
    throw new ServiceError('bad_response', `${this.url}${path} answered HTTP ${response.status}${text ? `: ${text.slice(0, 200)}` : ''}`, response.status);
  }
}
