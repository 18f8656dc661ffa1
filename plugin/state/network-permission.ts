/**
 * UXP (manifest v5) lets the panel reach only the origins in manifest.json → requiredPermissions.network.domains, and
 * reads that list only when the plugin is loaded. The panel checks a new service address against the same list —
 * bundled from the manifest at build time, the very file the build copies next to the bundle — before saving it.
 */

/** The manifest's value: a list of origins (`*.` wildcards allowed in the host) or the bare string "all". */
export type NetworkDomains = readonly string[] | 'all';

interface Origin {
  scheme: string;
  host: string;
  port: string;
}

const DEFAULT_PORTS: Record<string, string> = { http: '80', https: '443', ws: '80', wss: '443' };

/** scheme://host[:port] (nothing after it) → its parts, lower-cased, with the scheme's default port filled in. */
export function parseOrigin(text: string): Origin | null {
  const match = /^([a-z]+):\/\/(\[[0-9a-f:.]+\]|[^/:\s[\]]+)(?::(\d{1,5}))?\/*$/i.exec(text.trim());
  if (!match) return null;
  const scheme = match[1].toLowerCase();
  return { scheme, host: match[2].toLowerCase(), port: match[3] ?? DEFAULT_PORTS[scheme] ?? '' };
}

function matches(entry: Origin, origin: Origin): boolean {
  if (entry.scheme !== origin.scheme || entry.port !== origin.port) return false;
  if (entry.host.startsWith('*.')) return origin.host.endsWith(entry.host.slice(1));
  return entry.host === origin.host;
}

/** Whether UXP will let the panel fetch from `url` (as far as the documented matching rules go). */
export function isAllowedOrigin(url: string, domains: NetworkDomains): boolean {
  if (domains === 'all') return true;
  const origin = parseOrigin(url);
  if (!origin) return false;
  return domains.some((entry) => {
    const parsed = parseOrigin(entry);
    return parsed !== null && matches(parsed, origin);
  });
}

/** What to do about an address the manifest does not list, in a Photoshop user's words. */
export function notAllowedMessage(url: string): string {
  return (
    `Photoshop lets this panel reach only the addresses listed in its manifest, and ${url} is not one of them. ` +
    `Add "${url}" to "requiredPermissions" → "network" → "domains" in manifest.json, run npm run build, then Load the ` +
    'plugin again in the UXP Developer Tool (Reload does not read the manifest again).'
  );
}
