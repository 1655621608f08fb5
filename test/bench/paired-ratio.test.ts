import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { RowDef } from '../../bench/compare/plan.ts';
import { pairedRatio } from '../../bench/compare/summary.ts';
import type { SystemId } from '../../bench/compare/types.ts';
import type { CellResult } from '../../bench/compare/workloads/cell.ts';

const row: RowDef = { id: 'lat-p50', label: 'latency p50', unit: 'µs', better: 'lower' };

function cell(system: SystemId, run: number, value: number | undefined, round?: number): CellResult {
  return {
    measurement: 'lat',
    system,
    run,
    ...(round === undefined ? {} : { round }),
    values: value === undefined ? {} : { [row.id]: value },
  };
}

describe('pairedRatio', () => {
  test('divides each cell by the peer cell of the same run and round, then takes the median', () => {
    const cells = [
      cell('mycelium-tcp', 1, 60, 0),
      cell('nats', 1, 50, 0),
      cell('mycelium-tcp', 1, 90, 1),
      cell('nats', 1, 100, 1),
      cell('mycelium-tcp', 2, 66, 0),
      cell('nats', 2, 60, 0),
    ];
    // Ratios 1.2, 0.9, 1.1. Pairing by run alone would put 90 against 50 (1.8) and give 1.2.
    assert.equal(pairedRatio(row, cells, 'mycelium-tcp', 'nats'), 1.1);
    // Run 2 caught nats-server in a slow spell: the medians (62 against 78) say 0.79, while
    // side by side Mycelium is 0.98, 0.79 and 0.98 of it.
    const drift = [
      cell('mycelium-tcp', 1, 80),
      cell('nats', 1, 82),
      cell('mycelium-tcp', 2, 62),
      cell('nats', 2, 78),
      cell('mycelium-tcp', 3, 60),
      cell('nats', 3, 61),
    ];
    assert.equal(pairedRatio(row, drift, 'mycelium-tcp', 'nats'), 80 / 82);
  });

  test('skips cells without a twin or without a value, and gives undefined when no pair is left', () => {
    const cells = [
      cell('mycelium-unix', 1, 10, 0),
      cell('nats', 1, 20, 1),
      cell('mycelium-unix', 2, 30),
      cell('nats', 2, undefined),
      cell('mycelium-unix', 3, undefined),
      cell('nats', 3, 5),
      cell('mycelium-unix', 4, 9),
      cell('redis', 4, 3),
    ];
    assert.equal(pairedRatio(row, cells, 'mycelium-unix', 'nats'), undefined);
    assert.equal(pairedRatio(row, cells, 'mycelium-unix', 'redis'), 3);
  });

  test('a peer figure of 0 (a CPU row in a quick run) pairs with nothing', () => {
    const cells = [cell('mycelium-tcp', 1, 40), cell('redis', 1, 0)];
    assert.equal(pairedRatio(row, cells, 'mycelium-tcp', 'redis'), undefined);
  });
});
