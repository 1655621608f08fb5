import type { MyceliumError } from '../errors.ts';
import { backoffDelay } from './backoff.ts';
import type { ResolvedOptions } from './options.ts';

/** Codes after which retrying the same handshake cannot help. */
const PERMANENT: ReadonlySet<string> = new Set(['AUTH_FAILED', 'UNSUPPORTED_VERSION']);

/** True when no retry can cure this error (a wrong token, a version the server lacks). */
export function isPermanent(error: MyceliumError): boolean {
  return PERMANENT.has(error.code);
}

/** How a retry run ended. */
export type RetryOutcome<T> =
  | { readonly kind: 'ok'; readonly value: T }
  | { readonly kind: 'failed'; readonly error: MyceliumError }
  | { readonly kind: 'cancelled' };

/** Reconnect attempts with exponential backoff and jitter, cancellable between attempts. */
export class Retrier {
  readonly #options: ResolvedOptions;
  #timer: NodeJS.Timeout | undefined;
  #wake: () => void = () => {};
  #cancelled = false;

  constructor(options: ResolvedOptions) {
    this.#options = options;
  }

  /**
   * Waits, then calls `attempt`, until it succeeds, fails permanently, `maxReconnectAttempts`
   * attempts have failed, or `cancel()` is called.
   * @param cause why retrying started: reported when no attempt got further
   */
  async run<T>(attempt: () => Promise<T>, cause: MyceliumError): Promise<RetryOutcome<T>> {
    const { maxReconnectAttempts, reconnectDelayMs, maxReconnectDelayMs } = this.#options;
    let error = cause;
    for (let n = 1; n <= maxReconnectAttempts; n++) {
      await new Promise<void>((resolve) => {
        this.#wake = resolve;
        this.#timer = setTimeout(resolve, backoffDelay(n, reconnectDelayMs, maxReconnectDelayMs));
      });
      if (this.#cancelled) return { kind: 'cancelled' };
      try {
        return { kind: 'ok', value: await attempt() };
      } catch (err) {
        error = err as MyceliumError;
        if (isPermanent(error)) break;
      }
    }
    return { kind: 'failed', error };
  }

  /** Stops the run at its next wait (at once if it is waiting). */
  cancel(): void {
    this.#cancelled = true;
    clearTimeout(this.#timer);
    this.#wake();
  }
}
