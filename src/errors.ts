/**
 * The one error catalog shared by the broker, the server, the SDK and the CLI.
 *
 * Every error Mycelium reports has a stable string `code` that users match on, a numeric wire
 * code sent in ERR frames (docs/protocol.md), and a flag saying whether the server closes the
 * connection after sending it. `docs/errors.md` lists the same entries; a test keeps the two in
 * sync, so add a row there whenever you add one here.
 */

/** One entry of the catalog. */
export interface ErrorSpec {
  /** Numeric code carried in ERR frames. Never reused, never renumbered. */
  readonly wire: number;
  /** True when the server closes the connection after sending this error. */
  readonly fatal: boolean;
  /** What the error means and what to do about it. */
  readonly description: string;
}

export const ERROR_CATALOG = {
  // 1xx: protocol and connection level (sent by the server, usually fatal).
  PROTOCOL_ERROR: {
    wire: 100,
    fatal: true,
    description: 'The peer sent bytes that are not a valid frame; the connection is closed.',
  },
  FRAME_TOO_LARGE: {
    wire: 101,
    fatal: true,
    description: 'A frame declared a length above the negotiated maximum frame size.',
  },
  UNKNOWN_OP: {
    wire: 102,
    fatal: true,
    description: 'A frame carried an op code this protocol version does not define.',
  },
  MALFORMED_FRAME: {
    wire: 103,
    fatal: true,
    description: "A frame's body does not match the layout of its op (too short, bad lengths).",
  },
  UNSUPPORTED_VERSION: {
    wire: 104,
    fatal: true,
    description: 'The client asked for a protocol version the server does not speak.',
  },
  HANDSHAKE_REQUIRED: {
    wire: 105,
    fatal: true,
    description: 'A frame other than HELLO arrived before the handshake completed.',
  },
  HANDSHAKE_TIMEOUT: {
    wire: 106,
    fatal: true,
    description: 'The client did not complete the handshake within connection_timeout_ms.',
  },
  AUTH_FAILED: {
    wire: 107,
    fatal: true,
    description: 'The handshake carried a missing or wrong token.',
  },
  MAX_CONNECTIONS: {
    wire: 108,
    fatal: true,
    description: 'The server is at max_connections; try again later or raise the limit.',
  },
  HEARTBEAT_TIMEOUT: {
    wire: 109,
    fatal: true,
    description: 'The peer answered no PING within the heartbeat deadline and is presumed dead.',
  },
  SLOW_CONSUMER: {
    wire: 110,
    fatal: true,
    description:
      'The subscriber fell further behind than the topic or connection allows and was disconnected (slow_consumer = "disconnect" or pending bytes over the cap).',
  },
  SHUTTING_DOWN: {
    wire: 111,
    fatal: false,
    description: 'The server is draining for shutdown and accepts no new publishes or connections.',
  },
  UNEXPECTED_HANDSHAKE: {
    wire: 112,
    fatal: true,
    description: 'A second HELLO arrived on a connection that already completed its handshake.',
  },

  // 2xx: request level (the connection stays open).
  TOPIC_NOT_FOUND: {
    wire: 200,
    fatal: false,
    description: 'No topic has that name; declare it in the config or create it first.',
  },
  TOPIC_EXISTS: {
    wire: 201,
    fatal: false,
    description: 'A topic with that name already exists.',
  },
  INVALID_TOPIC: {
    wire: 202,
    fatal: false,
    description:
      'The topic name breaks the naming rules (1-128 characters of A-Z a-z 0-9 _ - ., no empty dot-separated part; * and > are reserved).',
  },
  MESSAGE_TOO_LARGE: {
    wire: 203,
    fatal: false,
    description: "The payload is larger than the topic's max_message_size.",
  },
  QUEUE_FULL: {
    wire: 204,
    fatal: false,
    description:
      'The queue topic holds buffer_size messages nobody has taken yet and its overflow policy is "reject"; retry later.',
  },
  SUBSCRIPTION_NOT_FOUND: {
    wire: 205,
    fatal: false,
    description: 'No subscription with that id exists on this connection.',
  },
  SUBSCRIPTION_EXISTS: {
    wire: 206,
    fatal: false,
    description: 'The connection already uses that subscription id.',
  },
  TOO_MANY_SUBSCRIPTIONS: {
    wire: 207,
    fatal: false,
    description: 'The connection is at max_subscriptions_per_connection.',
  },
  ACK_NOT_FOUND: {
    wire: 208,
    fatal: false,
    description:
      'No unacked delivery with that seq is held for that subscription (already acked or redelivered).',
  },
  ACK_NOT_EXPECTED: {
    wire: 209,
    fatal: false,
    description: 'ACK was sent for a subscription that does not use manual acks.',
  },
  TOPIC_DELETED: {
    wire: 210,
    fatal: false,
    description: 'The topic was deleted (by a reload or an admin); the subscription has ended.',
  },
  INVALID_ARGUMENT: {
    wire: 211,
    fatal: false,
    description: 'A request carried a value outside its allowed range.',
  },
  NOT_PERMITTED: {
    wire: 212,
    fatal: false,
    description:
      'The operation is not allowed on this connection (admin ops need the Unix socket or the token).',
  },

  // 3xx: configuration (never on the wire except in a reload report).
  CONFIG_INVALID: {
    wire: 300,
    fatal: false,
    description: 'The configuration failed validation; every problem is listed with its key path.',
  },
  CONFIG_PARSE: {
    wire: 301,
    fatal: false,
    description: 'The configuration file is not valid TOML.',
  },
  CONFIG_READ: {
    wire: 302,
    fatal: false,
    description: 'The configuration file could not be read (missing, unreadable, or a directory).',
  },
  CONFIG_NOT_RELOADABLE: {
    wire: 303,
    fatal: false,
    description: 'The new configuration changes keys that need a restart; the running config was kept.',
  },

  // 4xx: client side (raised by the SDK, never sent by the server).
  CONNECTION_CLOSED: {
    wire: 400,
    fatal: true,
    description: 'The connection closed before the operation completed.',
  },
  TIMEOUT: {
    wire: 401,
    fatal: false,
    description: 'The operation did not complete within its timeout.',
  },
  INVALID_URL: {
    wire: 402,
    fatal: false,
    description: 'The address is not unix:///path or tcp://host:port.',
  },
  LISTEN_FAILED: {
    wire: 403,
    fatal: false,
    description:
      'The server could not open a listener (address in use, bad path, or a non-socket file in the way).',
  },
  RECONNECT_BUFFER_FULL: {
    wire: 404,
    fatal: false,
    description:
      'The client is reconnecting and its reconnect buffer is full: the publish was dropped, never sent.',
  },
} as const satisfies Record<string, ErrorSpec>;

/** A stable error code, e.g. `'TOPIC_NOT_FOUND'`. */
export type ErrorCode = keyof typeof ERROR_CATALOG;

const CODE_BY_WIRE = new Map<number, ErrorCode>(
  (Object.keys(ERROR_CATALOG) as ErrorCode[]).map((code) => [ERROR_CATALOG[code].wire, code]),
);

/** The code for a numeric wire code, or undefined for a number this version does not know. */
export function codeFromWire(wire: number): ErrorCode | undefined {
  return CODE_BY_WIRE.get(wire);
}

/** Base class of every error Mycelium raises. Match on `code`, not on the message text. */
export class MyceliumError extends Error {
  readonly code: ErrorCode;

  constructor(code: ErrorCode, message?: string, options?: { cause?: unknown }) {
    super(message ?? ERROR_CATALOG[code].description, options);
    this.code = code;
    this.name = 'MyceliumError';
  }

  /** Numeric code carried in ERR frames. */
  get wire(): number {
    return ERROR_CATALOG[this.code].wire;
  }

  /** True when the server closes the connection after this error. */
  get fatal(): boolean {
    return ERROR_CATALOG[this.code].fatal;
  }
}

/** A frame that cannot be decoded, or arrives when the protocol does not allow it. */
export class ProtocolError extends MyceliumError {
  constructor(code: ErrorCode, message?: string, options?: { cause?: unknown }) {
    super(code, message, options);
    this.name = 'ProtocolError';
  }
}

/** A configuration that cannot be read, parsed or validated; `problems` lists each one. */
export class ConfigError extends MyceliumError {
  /** Each problem as `key.path: what is wrong (what is allowed)`. */
  readonly problems: readonly string[];

  constructor(code: ErrorCode, problems: readonly string[], options?: { cause?: unknown }) {
    super(code, problems.join('\n'), options);
    this.name = 'ConfigError';
    this.problems = problems;
  }
}

/** An error the server reported in an ERR frame, as the SDK raises it. */
export class ServerError extends MyceliumError {
  constructor(code: ErrorCode, message?: string) {
    super(code, message);
    this.name = 'ServerError';
  }
}
