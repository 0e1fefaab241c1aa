/**
 * What the kit's parent process (pool.ts) and its children (child.ts) say
 * to each other over IPC: a task each way, progress and outcomes back.
 */
import type { Opcode } from '../../protocol';
import type { SessionOptions } from '../../server/index';
import type { Limits } from '../limits';
import type { Capability, Failure, ScenarioResult } from './kit';

export interface ChildTask {
  kind: 'probe' | 'scenario';
  module: string;
  export?: string;
  scenario?: string;
  wanted?: Capability[];
  limits: Limits;
  seed: number;
  ops?: number;
  session?: SessionOptions;
  capabilities: [Capability, string | null][];
  hung: [Opcode, string][];
}

export type ChildMessage =
  | { type: 'hb'; step?: string; waiting: string[]; rss: number }
  | { type: 'req'; what: string }
  | { type: 'step'; step: string }
  | { type: 'result'; result: ScenarioResult; errors: Failure[]; hung: Opcode[] }
  | { type: 'probe'; capabilities: [Capability, string | null][]; errors: Failure[]; hung: Opcode[] }
  | { type: 'usage'; message: string }
  | { type: 'load-failed'; message: string; stack?: string };

export type Outcome = Extract<ChildMessage, { type: 'result' | 'probe' | 'usage' | 'load-failed' }>;

/** Starts the line a dying child writes to stderr about its death (child.ts). */
export const FATAL_MARK = '\u0001devfuse-kit-fatal ';
