// Hostile argument values for the call fuzzer: what a careless user or an attacker passes. Each
// value is made fresh for each call (tensors included), so that a call replays alone from its
// seed and index.
import * as tk from '../../src/index.js';
import type { Tensor } from '../../src/index.js';

/** Thrown by the callbacks and getters the fuzzer hands in: the user's own error, passed through. */
export class UserError extends Error {
  constructor() {
    super('thrown by user code');
    this.name = 'UserError';
  }
}

export type Rnd = () => number;
export interface Value {
  value: unknown;
  desc: string;
}

export const pick = <T>(rnd: Rnd, xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)];

const NUMBERS = [
  0,
  -0,
  1,
  2,
  3,
  4,
  -1,
  -2,
  -7,
  0.5,
  2.5,
  1e-300,
  NaN,
  Infinity,
  -Infinity,
  2 ** 31,
  2 ** 32,
  2 ** 53,
  2 ** 53 + 2,
  2 ** 63,
  1e308,
  Number.MAX_SAFE_INTEGER,
  Number.MIN_SAFE_INTEGER,
  64,
  1000,
];
const BIGINTS = [0n, 1n, -1n, 3n, 2n ** 63n, 2n ** 64n, -(2n ** 63n) - 1n];
const STRINGS = [
  '',
  'abc',
  'float32',
  'int64',
  'bool',
  'float16',
  'cpu',
  'cuda',
  'cuda:7',
  'relu',
  'leaky_relu',
  'mean',
  'sum',
  'none',
  'same',
  'valid',
  'max',
  'min',
  'fanIn',
  '__proto__',
  'constructor',
  'toString',
  'x'.repeat(5000),
  '../escape',
  'sub/dir/file',
  '/',
  '.',
  '/nonexistent-dir/x',
  '\u0000',
  '💥',
];
// Option names used somewhere in the package, and near misses, so misspelled options are tried.
const OPTION_NAMES = [
  'lr',
  'momentun',
  'momentum',
  'weightDecay',
  'weight_decay',
  'paddng',
  'padding',
  'stride',
  'batchSize',
  'batchsize',
  'shuffle',
  'dtype',
  'device',
  'keepdim',
  'keepDim',
  'reduction',
  'metadat',
  'metadata',
  'strict',
  'maxEpochs',
  'numClasses',
  'task',
  'bias',
  'groups',
  'dim',
  'eps',
  'betas',
  'nesterov',
  'requiresGrad',
  'retainGraph',
  'createGraph',
  'shape',
  'seed',
  'dropLast',
  'TMax',
  'gamma',
  'stepSize',
  'mode',
  'threshold',
  'average',
  'ignoreIndex',
  'labelSmoothing',
  'weight',
  'beta',
  'alpha',
  'maxNorm',
  'normType',
];

function deepArray(depth: number): unknown {
  let a: unknown = [1];
  for (let i = 0; i < depth; i++) a = [a];
  return a;
}
function deepObject(depth: number): unknown {
  let o: unknown = { a: 1 };
  for (let i = 0; i < depth; i++) o = { a: o };
  return o;
}

const DTYPES = ['float32', 'float64', 'int32', 'int64', 'bool', 'float16', 'bfloat16'] as const;

/** A tensor of some awkward kind: empty, 0-d, integer, strided, expanded, with NaN, disposed, ... */
export function hostileTensor(rnd: Rnd): Value {
  const kind = Math.floor(rnd() * 22);
  const dtype = pick(rnd, DTYPES);
  const make = (): [Tensor, string] => {
    switch (kind) {
      case 0:
        return [tk.tensor(3), '0-d float32'];
      case 1:
        return [tk.zeros([0]), 'empty [0]'];
      case 2:
        return [tk.zeros([0, 3]), 'empty [0, 3]'];
      case 3:
        return [tk.randn([2, 3]), 'randn [2, 3]'];
      case 4:
        return [tk.randn([3]).to(dtype), `[3] ${dtype}`];
      case 5:
        return [tk.randn([2, 3]).to(dtype), `[2, 3] ${dtype}`];
      case 6:
        return [tk.randn([3, 2]).t(), 'transposed [2, 3]'];
      case 7:
        return [tk.randn([3, 1]).expand(3, 4), 'expanded [3, 4]'];
      case 8:
        return [tk.randn([1, 1, 4, 4]), 'image [1, 1, 4, 4]'];
      case 9:
        return [tk.randn([2, 3, 5, 5]), 'image [2, 3, 5, 5]'];
      case 10:
        return [tk.tensor([0, 1, 2], { dtype: 'int64' }), 'int64 [0, 1, 2]'];
      case 11:
        return [tk.tensor([-1, 5, 1e6], { dtype: 'int64' }), 'int64 [-1, 5, 1e6]'];
      case 12:
        return [tk.tensor([2n ** 62n, -(2n ** 62n)]), 'int64 [2^62, -2^62]'];
      case 13:
        return [tk.tensor([NaN, Infinity, -Infinity, 0]), 'float32 [NaN, inf, -inf, 0]'];
      case 14:
        return [tk.randn([2, 3], { requiresGrad: true }), 'leaf requiring grad [2, 3]'];
      case 15: {
        const w = tk.randn([2, 3], { requiresGrad: true });
        return [w.mul(2), 'non-leaf (MulBackward) [2, 3]'];
      }
      case 16: {
        const t = tk.randn([2, 3]);
        t.dispose();
        return [t, 'disposed [2, 3]'];
      }
      case 17:
        return [
          tk.tensor(
            [
              [1, 0],
              [0, 1],
            ],
            { dtype: 'bool' },
          ),
          'bool [2, 2]',
        ];
      case 18:
        return [tk.randint(0, 3, [4]), 'int64 labels [4] in [0, 3)'];
      case 19:
        return [tk.rand([4, 3]), 'probabilities-ish [4, 3]'];
      case 20:
        return [tk.randn([64, 64]), 'randn [64, 64]'];
      default:
        return [tk.randn([1, 2, 3, 4, 1, 2]), '6-d [1, 2, 3, 4, 1, 2]'];
    }
  };
  const [value, desc] = make();
  return { value, desc: `Tensor(${desc})` };
}

/** Any value at all, weighted towards the kinds most likely to slip past a check. */
export function hostileValue(rnd: Rnd, extras: readonly (() => Value)[] = []): Value {
  const r = rnd();
  if (r < 0.22) return hostileTensor(rnd);
  if (r < 0.4) {
    const n = pick(rnd, NUMBERS);
    return { value: n, desc: Object.is(n, -0) ? '-0' : String(n) };
  }
  if (r < 0.45) {
    const b = pick(rnd, BIGINTS);
    return { value: b, desc: `${b}n` };
  }
  if (r < 0.53) {
    const s = pick(rnd, STRINGS);
    return { value: s, desc: JSON.stringify(s.length > 20 ? `${s.slice(0, 20)}…(${s.length})` : s) };
  }
  if (r < 0.56)
    return pick(rnd, [
      { value: undefined, desc: 'undefined' },
      { value: null, desc: 'null' },
      { value: true, desc: 'true' },
      { value: false, desc: 'false' },
    ]);
  if (r < 0.68) return hostileArray(rnd);
  if (r < 0.82) return hostileObject(rnd);
  if (r < 0.88) return hostileTypedArray(rnd);
  if (r < 0.93) return hostileFunction(rnd);
  if (extras.length && r < 0.99) return pick(rnd, extras)();
  return pick(rnd, [
    { value: Symbol('s'), desc: 'Symbol' },
    { value: new Date(0), desc: 'Date' },
    { value: /x/, desc: 'RegExp' },
    { value: new Map([['a', 1]]), desc: 'Map' },
    { value: new Set([1]), desc: 'Set' },
    { value: Promise.resolve(1), desc: 'Promise' },
    { value: new Error('e'), desc: 'Error' },
  ]);
}

function hostileArray(rnd: Rnd): Value {
  const k = Math.floor(rnd() * 17);
  switch (k) {
    case 0:
      return { value: [], desc: '[]' };
    case 1:
      return { value: [1], desc: '[1]' };
    case 2:
      return { value: [2, 3], desc: '[2, 3]' };
    case 3:
      return {
        value: [
          [1, 2],
          [3, 4],
        ],
        desc: '[[1, 2], [3, 4]]',
      };
    case 4:
      return { value: [-1], desc: '[-1]' };
    case 5:
      return { value: [1.5, NaN], desc: '[1.5, NaN]' };
    case 6:
      return { value: ['a', null], desc: "['a', null]" };
    case 7:
      return { value: [[1], [1, 2]], desc: 'ragged [[1], [1, 2]]' };
    case 8: {
      const a: unknown[] = [1];
      a.push(a);
      return { value: a, desc: 'cyclic array' };
    }
    case 9: {
      const a: unknown[] = [];
      a.push(a);
      return { value: a, desc: 'array containing itself' };
    }
    case 10:
      return { value: deepArray(100_000), desc: 'array 100,000 levels deep' };
    case 11:
      return { value: [2 ** 40, 2 ** 40], desc: '[2^40, 2^40]' };
    case 12:
      return { value: [, 1], desc: 'sparse [ , 1]' }; // eslint-disable-line no-sparse-arrays
    case 13:
      return { value: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17], desc: '17 dims' };
    case 14:
      return { value: [tk.zeros([2]), tk.ones([3])], desc: '[Tensor[2], Tensor[3]]' };
    case 15:
      return { value: new Array(3).fill({}), desc: '[{}, {}, {}]' };
    default:
      return { value: [2n, 3n], desc: '[2n, 3n]' };
  }
}

function hostileObject(rnd: Rnd): Value {
  const k = Math.floor(rnd() * 12);
  switch (k) {
    case 0:
      return { value: {}, desc: '{}' };
    case 1: {
      const name = pick(rnd, OPTION_NAMES);
      const v = hostileScalar(rnd);
      return { value: { [name]: v.value }, desc: `{ ${name}: ${v.desc} }` };
    }
    case 2: {
      const a = pick(rnd, OPTION_NAMES),
        b = pick(rnd, OPTION_NAMES);
      return { value: { [a]: 0.1, [b]: 2 }, desc: `{ ${a}: 0.1, ${b}: 2 }` };
    }
    case 3:
      return { value: JSON.parse('{"__proto__": {"isAdmin": true}, "a": 1}'), desc: '{ "__proto__" (own key), a: 1 }' };
    case 4:
      return { value: Object.create(null), desc: 'null-prototype {}' };
    case 5: {
      const o: Record<string, unknown> = { a: 1 };
      o.self = o;
      return { value: o, desc: 'cyclic object' };
    }
    case 6:
      return { value: deepObject(20_000), desc: 'object 20,000 levels deep' };
    case 7: {
      const o = {};
      Object.defineProperty(o, 'lr', {
        enumerable: true,
        get() {
          throw new UserError();
        },
      });
      return { value: o, desc: '{ get lr() { throw } }' };
    }
    case 8:
      return { value: { length: 3, 0: 1, 1: 2, 2: 3 }, desc: 'array-like object' };
    case 9:
      return { value: { shape: [2, 2], dtype: 'float32' }, desc: '{ shape, dtype }' };
    case 10:
      return { value: { params: [tk.randn([2], { requiresGrad: true })], lr: 0.1 }, desc: '{ params: [Tensor], lr }' };
    default:
      return { value: { weight: tk.randn([2, 3]), 'a.b': tk.zeros([1]) }, desc: '{ weight: Tensor, "a.b": Tensor }' };
  }
}

function hostileScalar(rnd: Rnd): Value {
  const r = rnd();
  if (r < 0.5) {
    const n = pick(rnd, NUMBERS);
    return { value: n, desc: String(n) };
  }
  if (r < 0.7) return { value: pick(rnd, STRINGS.slice(0, 20)), desc: 'string' };
  if (r < 0.8) return { value: true, desc: 'true' };
  return { value: [1, 2], desc: '[1, 2]' };
}

function hostileTypedArray(rnd: Rnd): Value {
  const k = Math.floor(rnd() * 10);
  switch (k) {
    case 0:
      return { value: new Float32Array(4), desc: 'Float32Array(4)' };
    case 1:
      return { value: new Float32Array(4_000_000), desc: 'Float32Array(4e6)' };
    case 2:
      return { value: new Int32Array([1, -1, 7]), desc: 'Int32Array[1, -1, 7]' };
    case 3:
      return { value: new BigInt64Array([1n, -(2n ** 63n)]), desc: 'BigInt64Array' };
    case 4:
      return { value: new Uint8Array([0, 1, 255]), desc: 'Uint8Array' };
    case 5:
      return { value: new Float64Array([NaN, 1]), desc: 'Float64Array' };
    case 6:
      return { value: new DataView(new ArrayBuffer(8)), desc: 'DataView' };
    case 7:
      return { value: new ArrayBuffer(16), desc: 'ArrayBuffer(16)' };
    case 8:
      return { value: new Uint16Array([0x7c00, 0xffff]), desc: 'Uint16Array' };
    default:
      return { value: Buffer.from('abc'), desc: 'Buffer' };
  }
}

function hostileFunction(rnd: Rnd): Value {
  const k = Math.floor(rnd() * 6);
  switch (k) {
    case 0:
      return { value: () => 1, desc: '() => 1' };
    case 1:
      return {
        value: () => {
          throw new UserError();
        },
        desc: '() => { throw }',
      };
    case 2:
      return { value: () => tk.ones([2]), desc: '() => Tensor' };
    case 3:
      return { value: async () => 1, desc: 'async () => 1' };
    case 4:
      return { value: class {}, desc: 'class {}' };
    default:
      return { value: (x: unknown) => x, desc: 'x => x' };
  }
}

/**
 * A value a careful caller might pass: small well-formed tensors, small integers, booleans,
 * option-shaped objects. Calls made of these get past the argument checks into the kernels,
 * where hostile shapes and values do their damage.
 */
export function plausibleValue(rnd: Rnd, extras: readonly (() => Value)[] = []): Value {
  const r = rnd();
  if (r < 0.4) {
    const k = Math.floor(rnd() * 9);
    const make = (): [Tensor, string] => {
      switch (k) {
        case 0:
          return [tk.randn([2, 3]), '[2, 3]'];
        case 1:
          return [tk.randn([3]), '[3]'];
        case 2:
          return [tk.randn([2, 3, 4, 4]), '[2, 3, 4, 4]'];
        case 3:
          return [tk.randint(0, 3, [2]), 'int64 [2] in [0, 3)'];
        case 4:
          return [tk.tensor(1.5), '0-d'];
        case 5:
          return [tk.randn([2, 3], { requiresGrad: true }), '[2, 3] requiring grad'];
        case 6:
          return [tk.randn([3, 3], { dtype: 'float64' }), 'float64 [3, 3]'];
        case 7:
          return [tk.rand([2, 3]), 'rand [2, 3]'];
        default:
          return [tk.randn([1, 1, 5, 5]), '[1, 1, 5, 5]'];
      }
    };
    const [value, desc] = make();
    return { value, desc: `Tensor(${desc})` };
  }
  if (r < 0.65) {
    const n = pick(rnd, [0, 1, 2, 3, -1, 0.5, 1e-3]);
    return { value: n, desc: String(n) };
  }
  if (r < 0.72)
    return pick(rnd, [
      { value: true, desc: 'true' },
      { value: false, desc: 'false' },
      { value: undefined, desc: 'undefined' },
    ]);
  if (r < 0.8)
    return pick(rnd, [
      { value: {}, desc: '{}' },
      { value: { reduction: 'sum' }, desc: "{ reduction: 'sum' }" },
      { value: { keepdim: true }, desc: '{ keepdim: true }' },
      { value: { dtype: 'float64' }, desc: "{ dtype: 'float64' }" },
    ]);
  if (r < 0.88)
    return pick(rnd, [
      { value: [2, 3], desc: '[2, 3]' },
      { value: [1, 1], desc: '[1, 1]' },
      { value: [0], desc: '[0]' },
      { value: [-1], desc: '[-1]' },
    ]);
  if (r < 0.93)
    return pick(rnd, [
      { value: 'mean', desc: '"mean"' },
      { value: 'float32', desc: '"float32"' },
      { value: 'out.bin', desc: '"out.bin"' },
    ]);
  if (extras.length) return pick(rnd, extras)();
  return { value: 1, desc: '1' };
}
