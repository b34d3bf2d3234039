// What one fuzzed call or load did, and which outcomes are defects.
import { TensorError } from '../../src/index.js';
import { UserError } from './values.js';

export type Kind =
  | 'ok' // returned
  | 'error' // TensorError with a code from the closed list
  | 'user' // the user's own callback threw, and the error came through unchanged
  | 'plain' // a plain JavaScript error from inside the library (a defect)
  | 'internal' // TensorError INTERNAL: an invariant broke (a defect)
  | 'message' // TensorError whose message prints '[object Object]' (a defect)
  | 'wrong' // a load returned data that differs from the file (a defect)
  | 'timeout' // a returned promise never settled (a defect)
  | 'crash' // the process died (a defect)
  | 'hang'; // no progress within the time limit (a defect)

export const DEFECTS: readonly Kind[] = ['plain', 'internal', 'message', 'wrong', 'timeout', 'crash', 'hang'];

export interface Outcome {
  kind: Kind;
  code?: string;
  /** For defects: what went wrong. */
  detail?: string;
}

/** Classifies a thrown value. */
export function classifyError(e: unknown): Outcome {
  if (e instanceof UserError) return { kind: 'user' };
  if (e instanceof TensorError) {
    if (e.code === 'INTERNAL') return { kind: 'internal', code: e.code, detail: e.message.slice(0, 300) };
    if (e.message.includes('[object Object]'))
      return { kind: 'message', code: e.code, detail: e.message.slice(0, 300) };
    return { kind: 'error', code: e.code };
  }
  const err = e as Error;
  const where =
    typeof err?.stack === 'string'
      ? err.stack
          .split('\n')
          .slice(1, 4)
          .map((l) => l.trim())
          .join(' | ')
      : '';
  return { kind: 'plain', detail: `${err?.name ?? typeof e}: ${String(err?.message ?? e).slice(0, 200)} ${where}` };
}
