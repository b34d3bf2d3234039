// Printing: toString() against PyTorch 1.13's own output, character for character
// (test/fixtures/print-torch.json, written by scripts/fixtures/print_torch.py), under each of its
// print options; Python's number formatting (ties to even); the grad suffixes; setPrintoptions'
// checks.
import fs from 'node:fs';

import { afterEach, describe, expect, it } from 'vitest';

import { getPrintoptions, setPrintoptions, tensor, tidy, type DType, type PrintOptions } from '../src/index.js';
import { pyFixed, pySci } from '../src/format.js';
import { expectTensorError } from './helpers/harness.js';

interface Case {
  name: string;
  values: (number | boolean | string)[];
  shape: number[];
  dtype: DType;
  options: PrintOptions;
  expected: string;
}
const fixture = JSON.parse(fs.readFileSync(new URL('./fixtures/print-torch.json', import.meta.url), 'utf8')) as {
  cases: Case[];
};
const decode = (v: number | boolean | string) =>
  v === 'nan' ? NaN : v === 'inf' ? Infinity : v === '-inf' ? -Infinity : v === '-0' ? -0 : (v as number | boolean);

afterEach(() => setPrintoptions({ profile: 'default' }));

describe("toString() prints as PyTorch's repr", () => {
  for (const c of fixture.cases)
    it(c.name, () =>
      tidy(() => {
        const vals = c.values.map(decode);
        const t =
          c.dtype === 'int64'
            ? tensor(
                vals.map((v) => BigInt(v as number)),
                { dtype: 'int64' },
              ).reshape(c.shape)
            : tensor(vals as number[], { dtype: c.dtype }).reshape(c.shape);
        setPrintoptions(c.options);
        expect(t.toString()).toBe(c.expected);
      }),
    );
});

describe('numbers as Python formats them', () => {
  it('fixed: ties round to even on the exact value, signs of zero kept, no exponent past 1e21', () => {
    expect([0.125, 0.375, 2.5, 3.5, -0.125].map((v) => pyFixed(v, v === 2.5 || v === 3.5 ? 0 : 2))).toEqual([
      '0.12',
      '0.38',
      '2',
      '4',
      '-0.12',
    ]);
    expect(pyFixed(0.1 + 0.2, 2)).toBe('0.30'); // not a tie: 0.3000000000000000444...
    expect(pyFixed(1.005, 2)).toBe('1.00'); // 1.00499999999999989...
    expect([pyFixed(-0, 4), pyFixed(-1e-9, 4), pyFixed(NaN, 2), pyFixed(-Infinity, 2)]).toEqual([
      '-0.0000',
      '-0.0000',
      'nan',
      '-inf',
    ]);
    expect(pyFixed(1e22, 1)).toBe('10000000000000000000000.0');
    expect(pyFixed(2 ** 70, 0)).toBe('1180591620717411303424');
  });

  it('scientific: two-digit exponents at least, ties to even', () => {
    expect([pySci(12345, 2), pySci(1e-300, 1), pySci(0, 4), pySci(-2.5, 0), pySci(3.5, 0)]).toEqual([
      '1.23e+04',
      '1.0e-300',
      '0.0000e+00',
      '-2e+00',
      '4e+00',
    ]);
    expect(pySci(1.03125e-5, 4)).toBe('1.0312e-05'); // the double is 1.03124999...e-5: no tie
    expect(pySci(1.125, 2)).toBe('1.12e+00');
  });
});

describe('suffixes and options', () => {
  it('prints requires_grad and grad_fn as torch, and the device', () =>
    tidy(() => {
      const x = tensor([1, 2], { requiresGrad: true });
      expect(x.toString()).toBe('tensor([1., 2.], requires_grad=True)');
      expect(x.mul(2).toString()).toBe('tensor([2., 4.], grad_fn=<MulBackward>)');
      expect(x.detach().toString()).toBe('tensor([1., 2.])');
    }));

  it('edgeitems 0 shows the ellipsis alone (where torch 1.13 prints every element of a row)', () =>
    tidy(() => {
      setPrintoptions({ threshold: 5, edgeitems: 0 });
      expect(tensor([1, 2, 3, 4, 5, 6]).toString()).toBe('tensor([ ...])');
      expect(tensor([1, 2, 3, 4, 5, 6]).reshape([3, 2]).toString()).toBe('tensor([...])');
    }));

  it('setPrintoptions keeps what it is not given (but sciMode, as torch), and getPrintoptions reads it', () => {
    setPrintoptions({ precision: 2, sciMode: true });
    setPrintoptions({ linewidth: 100 });
    expect(getPrintoptions()).toEqual({ precision: 2, threshold: 1000, edgeitems: 3, linewidth: 100, sciMode: null });
    setPrintoptions({ profile: 'full' });
    expect(getPrintoptions().threshold).toBe(Infinity);
    expect(getPrintoptions().precision).toBe(4);
  });

  it('refuses bad options with TensorErrors, changing nothing', () => {
    const before = getPrintoptions();
    const bad: [PrintOptions, RegExp][] = [
      [{ precision: -1 }, /setPrintoptions: 'precision' must be/],
      [{ precision: 1.5 }, /precision/],
      [{ threshold: -3 }, /setPrintoptions: threshold must be >= 0, got -3/],
      [{ edgeitems: -1 }, /edgeitems/],
      [{ linewidth: 0 }, /linewidth/],
      [{ profile: 'long' as never }, /profile/],
      [{ sciMode: 'yes' as never }, /setPrintoptions: sciMode must be a boolean or null, got "yes"/],
      [{ precison: 2 } as never, /unknown option 'precison' \(did you mean 'precision'\?\)/],
    ];
    for (const [o, msg] of bad) expectTensorError(() => setPrintoptions(o), 'INVALID_ARGUMENT', msg);
    expect(getPrintoptions()).toEqual(before);
  });
});
