/**
 * What UXP's JavaScript environment does differently from Node, for the panel's tests (its missing TextEncoder and
 * TextDecoder are hidden from panel modules by vitest.config.ts):
 * - FormData: UXP sends every file part as `filename="blob"` and, in the second mode, without the Blob's type;
 * - fetch: a request to an origin the manifest does not list is rejected with UXP's message, and FormData bodies are
 *   encoded as UXP does (`uxpFetch`).
 */
import { isAllowedOrigin } from '../../../plugin/state/network-permission';
import type { NetworkDomains } from '../../../plugin/state/network-permission';
import type { FetchLike } from '../../../plugin/client/http-client';

/** `filenames`: file parts are named "blob" whatever was asked; `types`: also sent without their Blob's type. */
export type UxpFormDataMode = 'filenames' | 'types';

/** A FormData as UXP's: the filename argument is ignored ("blob"); in mode `types` a Blob part's type is dropped. */
export function uxpFormData(mode: UxpFormDataMode): typeof FormData {
  return class UxpFormData extends FormData {
    override append(name: string, value: string | Blob, _filename?: string): void {
      if (typeof value === 'string') return super.append(name, value);
      super.append(name, mode === 'types' ? new Blob([value]) : value, 'blob');
    }
  };
}

/**
 * fetch as UXP's: an origin outside the manifest's network domains is refused before anything is sent, with the
 * error UXP gives; a FormData body is encoded by hand the way UXP does (`filename="blob"`, and no Content-Type for a
 * part whose type was dropped — Node's own encoder would fill in application/octet-stream).
 */
export function uxpFetch(domains: NetworkDomains): FetchLike {
  return async (input, init) => {
    if (!isAllowedOrigin(new URL(input).origin, domains)) {
      throw new TypeError(`Permission denied to the url ${input}. Manifest entry not found.`);
    }
    if (init?.body instanceof FormData) {
      const { body, contentType } = await encodeAsUxp(init.body);
      return fetch(input, { ...init, body, headers: { ...(init.headers as Record<string, string>), 'Content-Type': contentType } } as RequestInit);
    }
    return fetch(input, init);
  };
}

async function encodeAsUxp(form: FormData): Promise<{ body: ArrayBuffer; contentType: string }> {
  const boundary = 'uxp-form-boundary-7b1c9e';
  const chunks: Uint8Array[] = [];
  const ascii = (text: string) => Uint8Array.from(text, (c) => c.charCodeAt(0));
  for (const [name, value] of form.entries()) {
    if (typeof value === 'string') {
      chunks.push(ascii(`--${boundary}\r\nContent-Disposition: form-data; name="${name}"\r\n\r\n`), Buffer.from(value, 'utf8'), ascii('\r\n'));
    } else {
      const type = value.type ? `Content-Type: ${value.type}\r\n` : '';
      chunks.push(ascii(`--${boundary}\r\nContent-Disposition: form-data; name="${name}"; filename="blob"\r\n${type}\r\n`), new Uint8Array(await value.arrayBuffer()), ascii('\r\n'));
    }
  }
  chunks.push(ascii(`--${boundary}--\r\n`));
  const body = Buffer.concat(chunks);
  return { body: body.buffer.slice(body.byteOffset, body.byteOffset + body.byteLength) as ArrayBuffer, contentType: `multipart/form-data; boundary=${boundary}` };
}
