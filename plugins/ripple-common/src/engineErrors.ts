import type { RippleError } from '@ripple/engine';

/** Whether an error is one the engine threw (see @ripple/engine's README for its kinds). */
export function isRippleError(error: unknown): error is RippleError {
  return error instanceof Error && error.name === 'RippleError';
}
