/**
 * The handshake token check (ARCHITECTURE.md §2 Security, RELIABILITY.md A1).
 *
 * Both the configured token and the presented one are hashed with SHA-256 and the digests are
 * compared with `crypto.timingSafeEqual`: the digests always have the same length, so neither the
 * comparison time nor an early length check tells a client how long the token is or how much of
 * it matched.
 */
import { createHash, timingSafeEqual } from 'node:crypto';

/** The text of every AUTH_FAILED error: the same for a missing, short, long or wrong token. */
export const AUTH_FAILED_TEXT = 'authentication failed';

/** Checks presented tokens against the configured one without leaking timing or length. */
export class TokenCheck {
  readonly #digest: Buffer;

  constructor(token: string) {
    this.#digest = sha256(Buffer.from(token, 'utf8'));
  }

  /** True when `presented` is exactly the configured token. */
  matches(presented: Uint8Array): boolean {
    return timingSafeEqual(sha256(presented), this.#digest);
  }
}

function sha256(bytes: Uint8Array): Buffer {
  return createHash('sha256').update(bytes).digest();
}
