import { codeFromWire, MyceliumError, ServerError } from '../errors.ts';
import {
  type ClientFrameHandler,
  encodeHello,
  encodePing,
  encodePong,
  FrameDecoder,
  type FrameError,
  MAX_FRAME_SIZE_LIMIT,
  Side,
} from '../protocol/index.ts';
import type { ResolvedOptions } from './options.ts';
import type { Transport, TransportEvents, TransportFactory } from './transport.ts';
import { type Address, formatAddress } from './url.ts';

/** What the server said about itself in WELCOME (docs/protocol.md §3.2). */
export interface ServerInfo {
  /** The server's name. */
  readonly name: string;
  /** Largest frame the server accepts (length field: op + body); PUB frames must fit it. */
  readonly maxFrameSize: number;
  /** How often the server PINGs an idle client. */
  readonly heartbeatIntervalMs: number;
}

/**
 * The frames a live connection passes on to its client (the first five as the decoder reports
 * them, ERR as the error it carries), and its end.
 */
export interface ConnectionSink
  extends Pick<ClientFrameHandler, 'onMsg' | 'onSubAck' | 'onUnsubAck' | 'onPubAck' | 'onLagged'> {
  onErr(error: ServerError, refOp: number, ref: number): void;
  /** The transport drained after a write that returned false. */
  onDrain(): void;
  /** The connection is gone (only called for a connection that completed its handshake). */
  onLost(connection: Connection, error: MyceliumError): void;
}

const PING = encodePing();
const PONG = encodePong();

/** The error an ERR frame carries, as the SDK raises it. */
export function serverError(wire: number, text: string): ServerError {
  const code = codeFromWire(wire);
  if (code === undefined) return new ServerError('PROTOCOL_ERROR', `unknown error code ${wire}: ${text}`);
  return new ServerError(code, text === '' ? undefined : text);
}

/**
 * One connection to the server: the transport, the frame decoder, the HELLO/WELCOME handshake
 * (docs/protocol.md §2) and the heartbeat (§6.5: answer the server's PINGs; PING it when it has
 * been silent, and drop it when it stays silent for `maxPingsOut` intervals). Everything else
 * goes to the sink.
 */
export class Connection implements ClientFrameHandler, TransportEvents {
  /** Set once WELCOME arrived. */
  info: ServerInfo = { name: '', maxFrameSize: 0, heartbeatIntervalMs: 0 };
  readonly #sink: ConnectionSink;
  readonly #options: ResolvedOptions;
  readonly #address: Address;
  readonly #decoder: FrameDecoder;
  readonly #transport: Transport;
  #open = false;
  #closed = false;
  #error: MyceliumError | undefined;
  #handshake: { resolve(c: Connection): void; reject(e: MyceliumError): void } | null = null;
  #deadline: NodeJS.Timeout | undefined;
  #pingTimer: NodeJS.Timeout | undefined;
  #heard = false;
  #pingsOut = 0;

  /**
   * Opens a transport and completes the handshake.
   * @returns the open connection; rejects with the server's ERR (AUTH_FAILED, ...), TIMEOUT or
   *   CONNECTION_CLOSED
   */
  static open(
    address: Address,
    options: ResolvedOptions,
    sink: ConnectionSink,
    factory: TransportFactory,
  ): Promise<Connection> {
    return new Promise((resolve, reject) => {
      // Everything after the constructor reports through the handshake callbacks.
      new Connection(address, options, sink, factory, { resolve, reject });
    });
  }

  private constructor(
    address: Address,
    options: ResolvedOptions,
    sink: ConnectionSink,
    factory: TransportFactory,
    handshake: { resolve(c: Connection): void; reject(e: MyceliumError): void },
  ) {
    this.#address = address;
    this.#options = options;
    this.#sink = sink;
    this.#handshake = handshake;
    // The server is trusted to respect its own max_frame_size; the hard ceiling still bounds memory.
    this.#decoder = new FrameDecoder(this, { side: Side.Client, maxFrameSize: MAX_FRAME_SIZE_LIMIT });
    this.#transport = factory(address, this);
    this.#deadline = setTimeout(() => {
      this.#fail(
        new MyceliumError(
          'TIMEOUT',
          `no handshake with ${formatAddress(address)} within ${options.connectTimeoutMs} ms`,
        ),
      );
    }, options.connectTimeoutMs);
  }

  /** The byte stream, for writers. */
  get transport(): Transport {
    return this.#transport;
  }

  /** Ends the connection after what is buffered is sent; `onLost` follows. */
  end(): void {
    this.#transport.end();
  }

  /** Drops the connection at once, reporting `error` as the reason. */
  destroy(error: MyceliumError): void {
    this.#fail(error);
  }

  // Transport events.

  onOpen(): void {
    this.#transport.write([encodeHello(this.#options.name, this.#options.token)]);
  }

  onData(chunk: Buffer): void {
    this.#heard = true;
    this.#decoder.push(chunk);
  }

  onDrain(): void {
    if (this.#open) this.#sink.onDrain();
  }

  onClose(cause: Error | undefined): void {
    this.#closed = true;
    clearTimeout(this.#deadline);
    clearInterval(this.#pingTimer);
    const error =
      this.#error ??
      new MyceliumError(
        'CONNECTION_CLOSED',
        `connection to ${formatAddress(this.#address)} closed${cause ? `: ${cause.message}` : ''}`,
        cause ? { cause } : undefined,
      );
    const handshake = this.#handshake;
    if (handshake !== null) {
      this.#handshake = null;
      handshake.reject(error);
    } else if (this.#open) {
      this.#open = false;
      this.#sink.onLost(this, error);
    }
  }

  // Decoder events.

  onWelcome(_version: number, maxFrameSize: number, heartbeatIntervalMs: number, serverName: string): void {
    const handshake = this.#handshake;
    if (handshake === null) {
      this.#fail(new MyceliumError('PROTOCOL_ERROR', 'the server sent a second WELCOME'));
      return;
    }
    this.#handshake = null;
    clearTimeout(this.#deadline);
    this.info = { name: serverName, maxFrameSize, heartbeatIntervalMs };
    this.#open = true;
    const interval = this.#options.pingIntervalMs ?? heartbeatIntervalMs;
    if (interval > 0) {
      this.#pingTimer = setInterval(() => this.#heartbeat(), interval);
      this.#pingTimer.unref();
    }
    handshake.resolve(this);
  }

  onPing(): void {
    this.#transport.write([PONG]);
  }

  onPong(): void {
    // Any byte from the server counts as a sign of life (see onData); nothing more to do.
  }

  onError(err: FrameError): void {
    if (err.fatal) this.#fail(err);
  }

  onMsg(
    sid: number,
    seq: number,
    flags: number,
    deliveryCount: number,
    buf: Buffer,
    payloadStart: number,
    payloadEnd: number,
  ): void {
    this.#sink.onMsg(sid, seq, flags, deliveryCount, buf, payloadStart, payloadEnd);
  }

  onSubAck(sid: number, nextSeq: number): void {
    this.#sink.onSubAck(sid, nextSeq);
  }

  onUnsubAck(sid: number): void {
    this.#sink.onUnsubAck(sid);
  }

  onPubAck(confirmId: number, seq: number): void {
    this.#sink.onPubAck(confirmId, seq);
  }

  onLagged(sid: number, fromSeq: number, count: number): void {
    this.#sink.onLagged(sid, fromSeq, count);
  }

  onErr(code: number, refOp: number, ref: number, text: string): void {
    const error = serverError(code, text);
    // A fatal ERR is followed by the server closing: report it as the reason, not a bare close.
    if (error.fatal) this.#error ??= error;
    if (this.#handshake !== null) {
      this.#fail(error);
      return;
    }
    this.#sink.onErr(error, refOp, ref);
  }

  #heartbeat(): void {
    if (this.#heard) {
      this.#heard = false;
      this.#pingsOut = 0;
      return;
    }
    if (this.#pingsOut >= this.#options.maxPingsOut) {
      this.#fail(
        new MyceliumError(
          'HEARTBEAT_TIMEOUT',
          `the server sent nothing for ${this.#pingsOut} ping intervals; presumed dead`,
        ),
      );
      return;
    }
    this.#pingsOut++;
    this.#transport.write([PING]);
  }

  #fail(error: MyceliumError): void {
    if (this.#closed) return;
    this.#error ??= error;
    this.#transport.destroy();
  }
}
