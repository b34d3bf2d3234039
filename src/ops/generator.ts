// torch.Generator: a random stream of its own, for the functions that take `generator`. The core's
// stream is counter-based (a seed and an offset), so a Generator is just such a state: a draw
// with one swaps it in for the global state and back, giving exactly the draws the global stream
// would give after the same manualSeed, and leaving the global stream untouched.
import { binding } from '../binding.js';
import { isDeviceName, type DeviceName } from '../dtype.js';
import { fail } from '../errors.js';
import { describe } from '../options.js';
import { randomBytes } from 'node:crypto';

/** A random stream's state: its seed and how far it has been drawn (as getRngState gives). */
export interface GeneratorState {
  seed: bigint;
  offset: bigint;
}

// torch's default seed of a new generator
const DEFAULT_SEED = 67280421310721n;

function seedArg(op: string, seed: unknown): bigint {
  if (typeof seed === 'bigint') {
    if (seed < 0n || seed >= 1n << 64n)
      fail('INVALID_ARGUMENT', `${op}: a bigint seed must be in [0, 2^64), got ${describe(seed)}`);
    return seed;
  }
  if (!Number.isSafeInteger(seed) || (seed as number) < 0)
    fail('INVALID_ARGUMENT', `${op}: expected a non-negative integer (or a bigint), got ${describe(seed)}`);
  return BigInt(seed as number);
}

/**
 * A random stream of its own (torch.Generator): pass it as `generator` to rand, randn, randint,
 * randperm, normal, bernoulli, poisson, multinomial, the in-place fills (uniform_, normal_, ...),
 * randomSplit, DataLoader and the samplers. Seeded alike, it gives the global stream's draws.
 * @example const g = new Generator().manualSeed(42); randn([3], { generator: g })
 */
export class Generator {
  /** The device whose draws it makes ('cpu' or 'cuda:N'). */
  readonly device: DeviceName;
  private seedValue = DEFAULT_SEED;
  private offset = 0n;
  constructor(device: DeviceName = 'cpu') {
    if (!isDeviceName(device)) fail('INVALID_ARGUMENT', `Generator: expected a device, got ${describe(device)}`);
    this.device = device === 'cuda' ? 'cuda:0' : device;
  }
  /** Seeds the stream (draws start over); returns this. @example new Generator().manualSeed(0) */
  manualSeed(seed: number | bigint): this {
    this.seedValue = seedArg('Generator.manualSeed', seed);
    this.offset = 0n;
    return this;
  }
  /** Seeds the stream from the operating system's entropy and returns the seed (torch's seed()). */
  seed(): bigint {
    this.seedValue = randomBytes(8).readBigUInt64LE(0);
    this.offset = 0n;
    return this.seedValue;
  }
  /** The seed the stream started from. */
  initialSeed(): bigint {
    return this.seedValue;
  }
  /** The stream's state, to restore with setState (torch's get_state). */
  getState(): GeneratorState {
    return { seed: this.seedValue, offset: this.offset };
  }
  /** Restores a state from getState; returns this. */
  setState(state: GeneratorState): this {
    const ok = (v: unknown) => typeof v === 'bigint' && v >= 0n && v < 1n << 64n;
    if (state === null || typeof state !== 'object' || !ok(state.seed) || !ok(state.offset))
      fail(
        'INVALID_ARGUMENT',
        `Generator.setState: expected { seed: bigint, offset: bigint } from getState(), got ${describe(state)}`,
      );
    this.seedValue = state.seed;
    this.offset = state.offset;
    return this;
  }
  /** @internal Runs fn with this stream as the global one, then puts the global one back. */
  _draw<T>(fn: () => T): T {
    const [seed, offset] = binding.getRngState();
    binding.setRngState(this.seedValue, this.offset);
    try {
      return fn();
    } finally {
      const [s, o] = binding.getRngState();
      [this.seedValue, this.offset] = [s, o];
      binding.setRngState(seed, offset);
    }
  }
}

/**
 * @internal Runs fn drawing from `generator` (an options value: undefined for the global stream),
 * after checking it is a Generator.
 */
export function drawingFrom<T>(op: string, generator: unknown, fn: () => T): T {
  if (generator === undefined || generator === null) return fn();
  if (!(generator instanceof Generator))
    fail('INVALID_ARGUMENT', `${op}: generator must be a Generator, got ${describe(generator)}`);
  return generator._draw(fn);
}
