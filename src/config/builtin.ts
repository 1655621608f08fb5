/**
 * The configuration `mycelium serve` runs when no file is given (no argument, no MYCELIUM_CONFIG):
 * every key at its default plus a few starter topics, so a fresh broker is useful at once
 * (`mycelium sub events` / `mycelium pub events hello`, `mycelium bench`). A file replaces the
 * starter topics entirely: a file without `[[topics]]` declares none.
 */
export const BUILTIN_CONFIG_TOML = `
# A fanout topic: every subscriber gets every message.
[[topics]]
name = "events"
routing = "Fanout"

# A work queue: each message to one consumer, held until acked, redelivered if the consumer dies.
[[topics]]
name = "jobs"
routing = "Queue"
ack = "manual"

# Topics that \`mycelium bench\` uses by default (fanout, then queue).
[[topics]]
name = "bench"
routing = "Fanout"
buffer_size = 100000

[[topics]]
name = "bench.queue"
routing = "Queue"
buffer_size = 100000
`;
