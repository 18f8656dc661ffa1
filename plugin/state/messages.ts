/** Service and protocol failures in a Photoshop user's words. */
import { PROTOCOL_VERSION } from '../../core/protocol';
import type { Health } from '../../core/protocol';
import { ServiceError } from '../client/service-client';
import { notAllowedMessage } from './network-permission';

/** Why this service can't be used by this panel, or null when it can. */
export function incompatibility(health: Health): string | null {
  if (health.name !== 'genfill') return `The service answering here is “${String(health.name)}”, not genfill. Check the address.`;
  if (health.protocol > PROTOCOL_VERSION) {
    return `The genfill service (${health.version}) speaks protocol v${health.protocol}; this panel speaks v${PROTOCOL_VERSION}. Update the Photoshop plugin.`;
  }
  if (health.protocol < PROTOCOL_VERSION) {
    return `The genfill service (${health.version}) speaks protocol v${health.protocol}; this panel needs v${PROTOCOL_VERSION}. Update the genfill service.`;
  }
  return null;
}

export function serviceMessage(error: unknown, url: string): string {
  if (!(error instanceof ServiceError)) return `Something went wrong: ${error instanceof Error ? error.message : String(error)}`;
  switch (error.code) {
    case 'blocked':
      return notAllowedMessage(url);
    case 'unreachable':
      return `The genfill service is not running at ${url}. Start it (npm start, or genfill serve); the panel reconnects by itself.`;
    case 'queue_full':
      return `The genfill service is busy with other jobs. Try again when one has finished. (${error.message})`;
    case 'engine_unavailable':
      return `The genfill service can't run this engine: ${error.message}`;
    case 'payload_too_large':
      return `The selection area is too large for the service: ${error.message}`;
    case 'unauthorized':
    case 'forbidden_host':
    case 'forbidden_origin':
      return `The genfill service refused the panel: ${error.message}`;
    default:
      return `The genfill service reported an error: ${error.message}`;
  }
}

/** A service remark as the panel shows it: the service writes them as clauses ("the prompt was not used: …"). */
export function warningText(warning: string): string {
  return warning.charAt(0).toUpperCase() + warning.slice(1);
}
