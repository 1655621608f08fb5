/**
 * Protocol codec throughput: the decoder on PUB frames (16 B and 1 KiB payloads, 4096 frames per
 * chunk, whole and cut into 64 KiB socket-sized reads) and the MSG header writer, in frames/s.
 * Beside each decoder row runs a baseline that only walks the length prefixes of the same bytes:
 * the floor any length-prefixed decoder pays, so the gap is the cost of checking and dispatching.
 *
 *   node --import tsx bench/protocol.ts [--seconds 1.5]
 *
 * Prints a table and writes bench/results/protocol-<date>.json.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, hostname } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  encodePub,
  FrameDecoder,
  MSG_HEADER_SIZE,
  type ServerFrameHandler,
  type StartKind,
  writeMsgHeader,
} from '../src/protocol/index.ts';

const FRAMES_PER_CHUNK = 4096;
const SOCKET_READ = 64 * 1024;
const secondsArg = process.argv.indexOf('--seconds');
/** `--quick` (CI): a few milliseconds per case and no results file, so the bench cannot rot. */
const QUICK = process.argv.includes('--quick');
const SECONDS = secondsArg > 0 ? Number(process.argv[secondsArg + 1]) : QUICK ? 0.02 : 1.5;

/** Counts PUBs and payload bytes so the work cannot be optimised away. */
class CountingHandler implements ServerFrameHandler {
  frames = 0;
  bytes = 0;
  errors = 0;
  onHello(): void {}
  onPub(_c: number, _b: Buffer, _ts: number, _tl: number, payloadStart: number, payloadEnd: number): void {
    this.frames++;
    this.bytes += payloadEnd - payloadStart;
  }
  onSub(_sid: number, _k: StartKind, _v: number, _b: Buffer, _ts: number, _tl: number): void {}
  onUnsub(): void {}
  onAck(): void {}
  onPing(): void {}
  onPong(): void {}
  onError(): void {
    this.errors++;
  }
}

interface Row {
  readonly name: string;
  readonly payloadBytes: number;
  readonly framesPerSecond: number;
  readonly mbPerSecond: number;
}

/** Runs `round` (which handles `framesPerRound` frames of `frameBytes` each) for SECONDS. */
function measure(
  name: string,
  payloadBytes: number,
  frameBytes: number,
  framesPerRound: number,
  round: () => void,
): Row {
  for (let i = 0; i < 200; i++) round(); // warm up: let the JIT settle before timing
  let rounds = 0;
  const start = process.hrtime.bigint();
  const limit = start + BigInt(Math.round(SECONDS * 1e9));
  let now = start;
  while (now < limit) {
    for (let i = 0; i < 50; i++) round();
    rounds += 50;
    now = process.hrtime.bigint();
  }
  const seconds = Number(now - start) / 1e9;
  const frames = rounds * framesPerRound;
  return {
    name,
    payloadBytes,
    framesPerSecond: frames / seconds,
    mbPerSecond: (frames * frameBytes) / seconds / 1e6,
  };
}

function pubChunk(payloadBytes: number): Buffer {
  const one = encodePub('bench.topic', Buffer.alloc(payloadBytes, 0x61));
  return Buffer.concat(Array.from({ length: FRAMES_PER_CHUNK }, () => one));
}

/** A fresh decoder and handler per case, so one case's JIT feedback does not colour the next. */
function decoderFor(): { decoder: FrameDecoder; handler: CountingHandler } {
  const handler = new CountingHandler();
  return { handler, decoder: new FrameDecoder(handler, { side: 'server', enforceHandshake: false }) };
}

function decodeRows(payloadBytes: number): Row[] {
  const chunk = pubChunk(payloadBytes);
  const frameBytes = chunk.length / FRAMES_PER_CHUNK;
  const a = decoderFor();
  const whole = measure(
    `decode PUB, ${FRAMES_PER_CHUNK} per chunk`,
    payloadBytes,
    frameBytes,
    FRAMES_PER_CHUNK,
    () => a.decoder.push(chunk),
  );
  const pieces: Buffer[] = [];
  for (let o = 0; o < chunk.length; o += SOCKET_READ) pieces.push(chunk.subarray(o, o + SOCKET_READ));
  const b = decoderFor();
  const split = measure('decode PUB, 64 KiB reads', payloadBytes, frameBytes, FRAMES_PER_CHUNK, () => {
    for (const piece of pieces) b.decoder.push(piece);
  });
  let sink = 0;
  const walk = measure('baseline: walk length prefixes', payloadBytes, frameBytes, FRAMES_PER_CHUNK, () => {
    let p = 0;
    while (p < chunk.length) {
      sink += chunk[p + 4]!;
      p += 4 + (chunk[p]! * 0x1000000 + ((chunk[p + 1]! << 16) | (chunk[p + 2]! << 8) | chunk[p + 3]!));
    }
  });
  for (const { handler, decoder } of [a, b]) {
    if (handler.errors !== 0 || decoder.stopped || handler.frames === 0)
      throw new Error('the decoder refused bench frames');
  }
  if (sink === 0) throw new Error('the baseline walked nothing');
  return [whole, split, walk];
}

function msgRows(payloadBytes: number): Row[] {
  const out = Buffer.allocUnsafe(64 * 1024);
  const payload = Buffer.alloc(payloadBytes, 0x62);
  const frameBytes = MSG_HEADER_SIZE + payloadBytes;
  const perRound = Math.floor(out.length / frameBytes);
  let seq = 1;
  const header = measure('write MSG header', payloadBytes, MSG_HEADER_SIZE, perRound, () => {
    let o = 0;
    for (let i = 0; i < perRound; i++)
      o = writeMsgHeader(out, o, 7, seq++, 0, 1, payloadBytes) + payloadBytes;
  });
  const withPayload = measure('write MSG header + copy payload', payloadBytes, frameBytes, perRound, () => {
    let o = 0;
    for (let i = 0; i < perRound; i++) {
      o = writeMsgHeader(out, o, 7, seq++, 0, 1, payloadBytes);
      o += payload.copy(out, o);
    }
  });
  return [header, withPayload];
}

function main(): void {
  const rows = [...decodeRows(16), ...decodeRows(1024), ...msgRows(16), ...msgRows(1024)];
  console.log(`protocol codec, node ${process.version}, ${cpus()[0]?.model ?? 'unknown cpu'}\n`);
  console.log(
    `${'case'.padEnd(36)} ${'payload'.padStart(8)} ${'frames/s'.padStart(14)} ${'MB/s'.padStart(9)}`,
  );
  for (const r of rows) {
    const fps = Math.round(r.framesPerSecond).toLocaleString('en-US');
    console.log(
      `${r.name.padEnd(36)} ${`${r.payloadBytes} B`.padStart(8)} ${fps.padStart(14)} ${r.mbPerSecond.toFixed(0).padStart(9)}`,
    );
  }
  if (QUICK) return;
  const date = new Date().toISOString().slice(0, 10);
  const dir = join(dirname(fileURLToPath(import.meta.url)), 'results');
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `protocol-${date}.json`);
  const result = {
    bench: 'protocol',
    date: new Date().toISOString(),
    node: process.version,
    host: hostname(),
    cpu: cpus()[0]?.model ?? 'unknown',
    cores: cpus().length,
    secondsPerCase: SECONDS,
    framesPerChunk: FRAMES_PER_CHUNK,
    rows,
  };
  writeFileSync(file, `${JSON.stringify(result, null, 2)}\n`);
  console.log(`\nwrote ${file}`);
}

main();
