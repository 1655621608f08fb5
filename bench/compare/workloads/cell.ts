/** The outcome of one measurement against one system in one run. */
import type { SystemId } from '../types.ts';

export interface CellResult {
  readonly measurement: string;
  readonly system: SystemId;
  readonly run: number;
  /** Which of a run's rounds (latency cells run several per run); absent: the only one. */
  readonly round?: number;
  /** Row id → value (in the row's unit). Missing when the cell failed or was skipped. */
  readonly values: Record<string, number>;
  /** Throughput and latency cells: messages published, delivered, expected and lost. */
  readonly published?: number;
  readonly delivered?: number;
  readonly expected?: number;
  readonly lost?: number;
  /**
   * Why the broker dropped messages by its own policy (LAGGED, a slow consumer disconnected, a
   * publish refused): such a row overflowed, and its losses are the policy, not a bug.
   */
  readonly overflow?: string;
  /** A crash, timeout or protocol error: the cell did not complete. */
  readonly error?: string;
  /** Why the cell was not run (system or client not available). */
  readonly skipped?: string;
  readonly notes?: readonly string[];
}
