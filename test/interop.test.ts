// frombuffer, asTensor, asarray (torch.frombuffer / as_tensor / asarray) and inferenceMode.
import { describe, expect, it } from 'vitest';

import {
  asarray,
  asTensor,
  frombuffer,
  inferenceMode,
  isGradEnabled,
  isInferenceModeEnabled,
  tensor,
  tidy,
} from '../src/index.js';
import { expectTensorError } from './helpers/harness.js';

describe('frombuffer', () => {
  // torch.frombuffer(bytearray(b'\x00\x00\x80\x3f\x00\x00\x00\x40\x01'), dtype=torch.float32, count=2) = [1., 2.]
  const bytes = Buffer.from([0x00, 0x00, 0x80, 0x3f, 0x00, 0x00, 0x00, 0x40, 0x01]);

  it("reads bytes as a dtype, as torch's examples", () =>
    tidy(() => {
      expect(frombuffer(bytes, { dtype: 'float32', count: 2 }).toArray()).toEqual([1, 2]);
      expect(frombuffer(bytes, { dtype: 'float32', offset: 4, count: 1 }).toArray()).toEqual([2]);
      // an unaligned offset into a Buffer that is itself a slice of a larger ArrayBuffer
      const big = Buffer.alloc(32);
      big.writeDoubleLE(-1.5, 3);
      big.writeDoubleLE(2 ** 60, 11);
      expect(frombuffer(big.subarray(3, 19), { dtype: 'float64' }).toArray()).toEqual([-1.5, 2 ** 60]);
      const i64 = new BigInt64Array([-(2n ** 62n), 7n]);
      expect(frombuffer(i64.buffer, { dtype: 'int64' }).toArray()).toEqual([-(2 ** 62), 7]);
      expect(frombuffer(new Int32Array([5, -6]), { dtype: 'int32' }).toArray()).toEqual([5, -6]);
      expect(frombuffer(new Uint8Array([0, 1, 7]), { dtype: 'bool' }).toArray()).toEqual([false, true, true]);
      expect(frombuffer(new Uint16Array([0x3c00, 0xc000]), { dtype: 'float16' }).toArray()).toEqual([1, -2]);
      expect(frombuffer(new Uint16Array([0x3f80]), { dtype: 'bfloat16' }).toArray()).toEqual([1]);
    }));

  it('copies: later writes to the buffer do not show', () =>
    tidy(() => {
      const f = new Float32Array([1, 2]);
      const t = frombuffer(f, { dtype: 'float32', requiresGrad: true });
      f[0] = 9;
      expect(t.toArray()).toEqual([1, 2]);
      expect(t.requiresGrad).toBe(true);
    }));

  it("refuses what torch refuses, with torch's reasons", () => {
    expectTensorError(
      () => frombuffer(bytes, { dtype: 'float32' }),
      'INVALID_ARGUMENT',
      /frombuffer: the buffer length \(9 bytes\) after offset \(0 bytes\) must be a multiple of the float32 element size \(4\)/,
    );
    expectTensorError(
      () => frombuffer(bytes, { dtype: 'float32', offset: 9 }),
      'INDEX_OUT_OF_RANGE',
      /offset \(9 bytes\) must be in \[0, 8\]/,
    );
    expectTensorError(
      () => frombuffer(bytes, { dtype: 'float32', count: 0 }),
      'INVALID_ARGUMENT',
      /both the buffer length \(9\) and count \(0\) must not be 0/,
    );
    expectTensorError(() => frombuffer(new ArrayBuffer(0), { dtype: 'float32' }), 'INVALID_ARGUMENT', /must not be 0/);
    expectTensorError(
      () => frombuffer(bytes, { dtype: 'float64', count: 2 }),
      'INDEX_OUT_OF_RANGE',
      /2 float64 elements from offset 0 need 16 bytes, the buffer has 9/,
    );
    expectTensorError(() => frombuffer(bytes, { dtype: 'float32', count: -2 }), 'INVALID_ARGUMENT', /count must be -1/);
    expectTensorError(() => frombuffer(bytes, {} as never), 'INVALID_ARGUMENT', /options.dtype is required/);
    expectTensorError(() => frombuffer(bytes, { dtype: 'complex64' as never }), 'INVALID_ARGUMENT', /complex64/);
    expectTensorError(
      () => frombuffer([1, 2] as never, { dtype: 'float32' }),
      'INVALID_ARGUMENT',
      /expected an ArrayBuffer, a Buffer or a typed array/,
    );
  });
});

describe('asTensor and asarray', () => {
  it('return the tensor itself where nothing changes, else a conversion', () =>
    tidy(() => {
      const x = tensor([1, 2]);
      expect(asTensor(x)).toBe(x);
      expect(asTensor(x, { dtype: 'float32', device: 'cpu' })).toBe(x);
      const y = asTensor(x, { dtype: 'float64' });
      expect([y === x, y.dtype]).toEqual([false, 'float64']);
      expect(asTensor([1, 2], { dtype: 'int64' }).toArray()).toEqual([1, 2]);
      expect(asarray(x)).toBe(x);
      const c = asarray(x, { copy: true });
      expect(c === x).toBe(false);
      expect(c.toArray()).toEqual([1, 2]);
      expect(asarray([1.5], { requiresGrad: true }).requiresGrad).toBe(true);
    }));

  it('asarray with copy false refuses a conversion', () => {
    expectTensorError(
      () => asarray(tensor([1]), { dtype: 'float64', copy: false }),
      'INVALID_ARGUMENT',
      /asarray: copy is false, but a float32 tensor on cpu needs a conversion to float64 on cpu/,
    );
    expectTensorError(() => asarray([1], { copy: false }), 'INVALID_ARGUMENT', /is not a tensor \(it must be copied\)/);
    expectTensorError(() => asTensor(tensor([1]), { dtype: 'float128' as never }), 'INVALID_ARGUMENT', /float128/);
  });
});

describe('inferenceMode', () => {
  it('records nothing inside, restores after, and reports itself', () =>
    tidy(() => {
      const w = tensor([1, 2], { requiresGrad: true });
      expect(isInferenceModeEnabled()).toBe(false);
      const y = inferenceMode(() => {
        expect([isInferenceModeEnabled(), isGradEnabled()]).toEqual([true, false]);
        // mode false inside: runs as is (grad stays off), as torch's inference_mode(False)
        inferenceMode(() => expect([isInferenceModeEnabled(), isGradEnabled()]).toEqual([false, false]), false);
        return w.mul(2);
      });
      expect(y.requiresGrad).toBe(false);
      expect([isInferenceModeEnabled(), isGradEnabled()]).toEqual([false, true]);
      expect(() =>
        inferenceMode(() => {
          throw new Error('inside');
        }),
      ).toThrow('inside');
      expect([isInferenceModeEnabled(), isGradEnabled()]).toEqual([false, true]);
      expectTensorError(
        () => inferenceMode(() => 0, 'yes' as never),
        'INVALID_ARGUMENT',
        /inferenceMode: mode must be a boolean/,
      );
      expectTensorError(() => inferenceMode(3 as never), 'INVALID_ARGUMENT', /inferenceMode: expected a function/);
    }));
});
