/** What client tests against a real server share: clients closed after the suite, and reading messages. */
import { type Client, type ConnectOptions, connect, type Message } from '../../../src/client/index.ts';

/** Clients a suite opens, all closed by `closeAll` (in its `after`). */
export class OpenClients {
  readonly #clients: Client[] = [];

  /** Connects to `url`; the client is closed by closeAll. */
  readonly open = async (url: string, options: ConnectOptions = {}): Promise<Client> => {
    const c = await connect(url, options);
    this.#clients.push(c);
    return c;
  };

  async closeAll(): Promise<void> {
    for (const c of this.#clients) await c.close();
  }
}

/** The next `n` messages from an iterator, leaving the subscription open. */
export async function next(it: AsyncIterator<Message>, n: number): Promise<Message[]> {
  const got: Message[] = [];
  while (got.length < n) got.push((await it.next()).value as Message);
  return got;
}
