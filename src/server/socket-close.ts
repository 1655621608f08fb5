/**
 * Ending a socket after our last frames: the ERR that says why must reach the peer, and a peer
 * that never closes its side must not keep the socket forever.
 */
import type { Socket } from 'node:net';
import type { OutboundWriter } from './outbound-writer.ts';

/** How long a closing connection may take to deliver its last frames before it is destroyed. */
export const CLOSE_LINGER_MS = 1000;

/**
 * Keeps reading (and ignoring) until the peer closes, so unread input does not turn our close into
 * a reset that discards the ERR; destroys the socket after CLOSE_LINGER_MS if the peer never
 * closes. Returns the timer, for the caller to clear once the socket closed.
 */
export function lingerThenDestroy(socket: Socket): NodeJS.Timeout {
  socket.resume();
  const linger = setTimeout(() => socket.destroy(), CLOSE_LINGER_MS);
  linger.unref();
  return linger;
}

/**
 * Ends a connection's socket: with no `errFrame` (or a socket already gone) it is destroyed at
 * once; otherwise the ERR goes last and the socket lingers (see lingerThenDestroy). A slow consumer
 * loses the output it could not take, and gets the ERR only if the socket has room for it.
 * Returns the linger timer, or undefined when the socket was destroyed.
 */
export function endSocket(
  socket: Socket,
  writer: OutboundWriter,
  errFrame: Buffer | undefined,
  slowConsumer: boolean,
): NodeJS.Timeout | undefined {
  if (errFrame === undefined || socket.destroyed) {
    writer.close();
    socket.destroy();
    return undefined;
  }
  if (slowConsumer) {
    writer.close();
    if (socket.writableLength > 0) {
      socket.destroy();
      return undefined;
    }
    socket.end(errFrame);
  } else {
    writer.writeFrame(errFrame);
    writer.finish();
    socket.end();
  }
  return lingerThenDestroy(socket);
}
