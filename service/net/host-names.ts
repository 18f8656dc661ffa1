/** Host names as the service reads them: a `Host` header, or a configured `--allowed-host`. */
import { isIPv6 } from 'node:net';

/** Splits a Host header into a lower-case name (brackets removed) and an optional port. */
export function parseHostHeader(header: string): { name: string; port: number | null } | null {
  const match = /^(?:\[([^\]]+)\]|([^:[\]]+))(?::(\d{1,5}))?$/.exec(header.trim());
  if (!match) return null;
  return { name: (match[1] ?? match[2]).toLowerCase(), port: match[3] ? Number(match[3]) : null };
}

/** A configured `--allowed-host`: like a Host header, or a bare IPv6 address (no port). */
export function parseAllowedHost(entry: string): { name: string; port: number | null } | null {
  return isIPv6(entry) ? { name: entry.toLowerCase(), port: null } : parseHostHeader(entry);
}
