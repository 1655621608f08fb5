import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { connect, MyceliumError } from '../../src/client/index.ts';
import { formatAddress, parseUrl } from '../../src/client/url.ts';

describe('client URLs', () => {
  it('unix:///path and tcp://host:port parse to an address and print back the same', () => {
    const table: Array<[string, ReturnType<typeof parseUrl>]> = [
      ['unix:///tmp/mycelium.sock', { kind: 'unix', path: '/tmp/mycelium.sock' }],
      ['unix:///tmp/with%20space.sock', { kind: 'unix', path: '/tmp/with space.sock' }],
      ['tcp://127.0.0.1:7420', { kind: 'tcp', host: '127.0.0.1', port: 7420 }],
      ['tcp://localhost:1/', { kind: 'tcp', host: 'localhost', port: 1 }],
      ['tcp://[::1]:65535', { kind: 'tcp', host: '::1', port: 65535 }],
      ['TCP://127.0.0.1:9', { kind: 'tcp', host: '127.0.0.1', port: 9 }],
    ];
    for (const [url, expected] of table) {
      const address = parseUrl(url);
      assert.deepEqual(address, expected, url);
      assert.deepEqual(parseUrl(formatAddress(address)), expected, `${url} round trip`);
    }
  });

  it('anything else is refused with INVALID_URL naming the problem', () => {
    const table: Array<[string, RegExp]> = [
      ['', /not a URL/],
      ['mycelium.sock', /not a URL/],
      ['/tmp/mycelium.sock', /not a URL/],
      ['http://127.0.0.1:7420', /unsupported scheme/],
      ['nats://127.0.0.1:4222', /unsupported scheme/],
      ['tcp://127.0.0.1', /missing port/],
      ['tcp://:7420', /not a URL|missing host/],
      ['tcp://127.0.0.1:0', /port must be/],
      ['tcp://127.0.0.1:65536', /not a URL/],
      ['tcp://127.0.0.1:port', /not a URL/],
      ['tcp://127.0.0.1:7420/path', /no path/],
      ['tcp://user:secret@127.0.0.1:7420', /credentials/],
      ['tcp://127.0.0.1:7420?x=1', /no query/],
      ['unix://', /absolute file path/],
      ['unix:///', /absolute file path/],
      ['unix:///tmp/dir/', /absolute file path/],
      ['unix://host/tmp/x.sock', /no host/],
      ['unix:relative.sock', /absolute file path/],
      ['unix:///tmp/x.sock#frag', /no query or fragment/],
      ['unix:///tmp/%E0%A4%A.sock', /percent-encoding/],
      [`unix:///tmp/${'x'.repeat(104)}`, /longer than 107 bytes/],
    ];
    for (const [url, why] of table) {
      assert.throws(
        () => parseUrl(url),
        (err: unknown) => err instanceof MyceliumError && err.code === 'INVALID_URL' && why.test(err.message),
        JSON.stringify(url),
      );
    }
  });

  it('a socket path of exactly 107 bytes is accepted (the sun_path limit)', () => {
    const path = `/tmp/${'x'.repeat(102)}`;
    assert.equal(Buffer.byteLength(path), 107);
    assert.deepEqual(parseUrl(`unix://${path}`), { kind: 'unix', path });
  });

  it('connect() rejects a bad URL with INVALID_URL before opening anything', async () => {
    await assert.rejects(connect('http://127.0.0.1:1'), { code: 'INVALID_URL' });
  });
});
