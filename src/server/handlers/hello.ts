/** HELLO (docs/protocol.md §3.1): version, token check on TCP, then WELCOME. */
import { PROTOCOL_VERSION } from '../../protocol/index.ts';
import { AUTH_FAILED_TEXT } from '../auth.ts';
import type { Connection } from '../connection.ts';

export function handleHello(c: Connection, version: number, name: string, token: Buffer): void {
  // The decoder answers other versions itself (§2.3); this guards against a future decoder.
  if (version !== PROTOCOL_VERSION) {
    c.fail('UNSUPPORTED_VERSION', `this server speaks protocol version ${PROTOCOL_VERSION} (got ${version})`);
    return;
  }
  const check = c.ctx.token;
  // Unix-socket clients are trusted by the socket's file mode; TCP clients need the token.
  if (check !== undefined && c.transport === 'tcp') {
    if (!check.matches(token)) {
      c.fail('AUTH_FAILED', AUTH_FAILED_TEXT);
      return;
    }
    c.authenticatedBy = check;
  }
  if (c.ctx.draining) {
    c.fail('SHUTTING_DOWN', 'the server is shutting down and accepts no new connections');
    return;
  }
  c.establish(name);
}
