import { MyceliumError } from '../errors.ts';

/** Where a client connects: a Unix socket path or a TCP host and port. */
export type Address =
  | { readonly kind: 'unix'; readonly path: string }
  | { readonly kind: 'tcp'; readonly host: string; readonly port: number };

/** The address `connect()` uses when none is given (the server's default socket_path). */
export const DEFAULT_URL = 'unix:///tmp/mycelium.sock';

/** sun_path is 108 bytes on Linux, one of them the terminating NUL. */
export const MAX_SOCKET_PATH_BYTES = 107;

function invalid(url: string, why: string, cause?: unknown): MyceliumError {
  return new MyceliumError(
    'INVALID_URL',
    `invalid address ${JSON.stringify(url)}: ${why} (expected unix:///absolute/path or tcp://host:port)`,
    cause === undefined ? undefined : { cause },
  );
}

/**
 * Parses `unix:///path/to.sock` or `tcp://host:port` (IPv6 hosts in brackets).
 * @throws MyceliumError INVALID_URL naming what is wrong
 */
export function parseUrl(url: string): Address {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch (err) {
    throw invalid(url, 'not a URL', err);
  }
  if (parsed.username !== '' || parsed.password !== '')
    throw invalid(url, 'credentials go in the token option');
  if (parsed.search !== '' || parsed.hash !== '') throw invalid(url, 'no query or fragment allowed');
  const scheme = parsed.protocol.toLowerCase();
  if (scheme === 'unix:') return parseUnix(url, parsed);
  if (scheme === 'tcp:') return parseTcp(url, parsed);
  throw invalid(url, `unsupported scheme "${parsed.protocol}"`);
}

function parseUnix(url: string, parsed: URL): Address {
  if (parsed.host !== '') throw invalid(url, 'a unix URL has no host: write three slashes');
  let path: string;
  try {
    path = decodeURIComponent(parsed.pathname);
  } catch (err) {
    throw invalid(url, 'bad percent-encoding in the path', err);
  }
  if (!path.startsWith('/') || path === '/' || path.endsWith('/')) {
    throw invalid(url, 'the socket path must be an absolute file path');
  }
  if (Buffer.byteLength(path) > MAX_SOCKET_PATH_BYTES) {
    throw invalid(url, `the socket path is longer than ${MAX_SOCKET_PATH_BYTES} bytes`);
  }
  return { kind: 'unix', path };
}

function parseTcp(url: string, parsed: URL): Address {
  if (parsed.hostname === '') throw invalid(url, 'missing host');
  if (parsed.port === '') throw invalid(url, 'missing port');
  if (parsed.pathname !== '' && parsed.pathname !== '/') throw invalid(url, 'a tcp URL has no path');
  const port = Number(parsed.port);
  if (port < 1 || port > 65535) throw invalid(url, 'port must be 1..65535');
  // URL keeps IPv6 literals bracketed; net.connect wants them bare.
  const host = parsed.hostname.startsWith('[') ? parsed.hostname.slice(1, -1) : parsed.hostname;
  return { kind: 'tcp', host, port };
}

/** The address as a URL again, for logs and error messages. */
export function formatAddress(address: Address): string {
  if (address.kind === 'unix') return `unix://${address.path}`;
  return address.host.includes(':')
    ? `tcp://[${address.host}]:${address.port}`
    : `tcp://${address.host}:${address.port}`;
}
