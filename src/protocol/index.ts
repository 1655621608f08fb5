/**
 * The protocol's public surface (docs/protocol.md): op codes, limits, encoders and writers, the
 * frame decoder and its handler interfaces. Nothing here does I/O.
 */
export {
  accepts,
  CLIENT_ACCEPTS,
  MSG_FLAGS_MASK,
  MsgFlags,
  Op,
  type OpName,
  opName,
  PROTOCOL_VERSION,
  ReloadStatus,
  SERVER_ACCEPTS,
  Side,
  StartKind,
} from './ops.ts';
export * from './limits.ts';
export { encodeTopic, topicBytesProblem } from './topic.ts';
export {
  writeAck,
  writeFrameHeader,
  writeLagged,
  writeMsgHeader,
  writeMsgHeaderView,
  writePing,
  writePong,
  writePubAck,
  writePubHeader,
  writeSubAck,
  writeU16,
  writeU32,
  writeU64,
  writeUnsub,
  writeUnsubAck,
} from './write.ts';
export {
  encodeAck,
  encodeErr,
  encodeFrame,
  encodeFrames,
  encodeHello,
  encodeLagged,
  encodeMsg,
  encodePing,
  encodePong,
  encodePub,
  encodePubAck,
  encodeReload,
  encodeReloadResult,
  encodeSub,
  encodeSubAck,
  encodeUnsub,
  encodeUnsubAck,
  encodeWelcome,
} from './encode.ts';
export { type DecoderOptions, FrameDecoder } from './decode.ts';
export type {
  AckFrame,
  ClientFrameHandler,
  ErrFrame,
  Frame,
  FrameHandler,
  FrameHandlerBase,
  HelloFrame,
  LaggedFrame,
  MsgFrame,
  PingFrame,
  PongFrame,
  PubAckFrame,
  PubFrame,
  ReloadFrame,
  ReloadResultFrame,
  ServerFrameHandler,
  SubAckFrame,
  SubFrame,
  UnsubAckFrame,
  UnsubFrame,
  WelcomeFrame,
} from './frames.ts';
export { FrameError } from './frames.ts';
export { type DecodeAllOptions, decodeAll, FrameCollector } from './collect.ts';
