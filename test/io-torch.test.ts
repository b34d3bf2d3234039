// io.loadTorch / io.saveTorch: PyTorch's torch.save format (zip + pickle) read and written
// without Python. Files saved by PyTorch 1.13 (test/fixtures/torch-pt, written by
// scripts/fixtures/torch_pt.py) load to their values; what saveTorch writes loads back, and loads
// in PyTorch itself where it is installed; corrupt files throw TensorErrors.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import { describe, expect, it } from 'vitest';

import { io, nn, noGrad, randn, tensor, tidy, type Tensor } from '../src/index.js';
import { TensorError } from '../src/errors.js';
import { expectTensorError } from './helpers/harness.js';

const dir = new URL('./fixtures/torch-pt/', import.meta.url);
const expected = JSON.parse(fs.readFileSync(new URL('expected.json', dir), 'utf8'));
const file = (name: string) => new URL(name, dir).pathname;
const DTYPES: Record<string, string> = { uint8: 'int32', int8: 'int32', int16: 'int32' };

function matches(
  t: Tensor,
  want: { dtype: string; shape: number[]; values: (number | boolean)[]; requires_grad: boolean },
) {
  expect(t).toBeInstanceOf(Object);
  expect(t.dtype).toBe(DTYPES[want.dtype] ?? want.dtype);
  expect(t.shape).toEqual(want.shape);
  const flat = t.reshape([-1]).toArray() as (number | boolean)[];
  expect(flat).toEqual(want.values);
  expect(t.requiresGrad).toBe(want.requires_grad);
}

const hasTorch = (() => {
  try {
    execFileSync('/usr/bin/python3', ['-c', 'import torch'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();

describe('io.loadTorch reads what torch.save wrote', () => {
  it('a state dict, into a module', () =>
    tidy(() => {
      const sd = io.loadTorch(file('state_dict.pt')) as Record<string, Tensor>;
      expect(Object.keys(sd)).toEqual(Object.keys(expected.state_dict));
      for (const [k, v] of Object.entries(expected.state_dict)) matches(sd[k], v as never);
      // as it is: torch's running_mean / running_var read as runningMean / runningVar, and its
      // num_batches_tracked skipped
      const model = new nn.Sequential(new nn.Linear(3, 4), new nn.BatchNorm1d(4));
      expect(model.loadStateDict(sd)).toEqual({ missingKeys: [], unexpectedKeys: [] });
      expect((model.children()[1] as nn.BatchNorm1d).runningVar!.toArray()).toEqual(sd['1.running_var'].toArray());
      expect((model.children()[0] as nn.Linear).weight.toArray()).toEqual(sd['0.weight'].toArray());
    }));

  it('a checkpoint: nested values, every dtype, views of one storage, a Parameter', () =>
    tidy(() => {
      const ck = io.loadTorch(fs.readFileSync(file('checkpoint.pt'))) as Record<string, unknown>;
      expect([ck.epoch, ck.lr, ck.name, ck.nothing, ck.flags, ck.pair, ck.big]).toEqual([
        7,
        0.125,
        'run-1',
        null,
        [true, false],
        [1, 'two'],
        2 ** 40,
      ]);
      const ts = ck.tensors as Record<string, Tensor>;
      for (const [k, v] of Object.entries(expected.tensors)) matches(ts[k], v as never);
      for (const [k, v] of Object.entries(expected.model)) matches((ck.model as Record<string, Tensor>)[k], v as never);
      // a copy of its own in the view's memory order: torch.load's view of base.t() has these strides
      expect(ts.transposed.stride()).toEqual([1, 4]);
    }));
});

describe('io.saveTorch', () => {
  const tmp = () => path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'tk-pt-')), 'model.pt');

  it('writes what loadTorch reads back, every dtype and shape', () =>
    tidy(() => {
      const tensors: Record<string, Tensor> = {
        'fc.weight': randn([3, 4]),
        half: tensor([0.5, -2], { dtype: 'float16' }),
        bf: tensor([1, 3], { dtype: 'bfloat16' }),
        ints: tensor([1, -2], { dtype: 'int32' }),
        longs: tensor([2n ** 40n, -3n]),
        mask: tensor([true, false]),
        scalar: tensor(2.5, { dtype: 'float64' }),
        empty: randn([0, 3]),
        strided: randn([4, 5]).t(),
      };
      const f = tmp();
      io.saveTorch(tensors, f);
      const back = io.loadTorch(f) as Record<string, Tensor>;
      expect(Object.keys(back)).toEqual(Object.keys(tensors));
      for (const [k, t] of Object.entries(tensors)) {
        expect([back[k].dtype, back[k].shape], k).toEqual([t.dtype, t.shape]);
        expect(back[k].toArray(), k).toEqual(t.toArray());
      }
    }));

  it("a model's state dict goes out under torch's batch-norm names and comes back in", () =>
    tidy(() => {
      const make = () => new nn.Sequential(new nn.Conv2d(1, 2, 3), new nn.BatchNorm2d(2));
      const a = make();
      noGrad(() => (a.children()[1] as nn.BatchNorm2d).runningMean!.copy_(tensor([0.25, -1])));
      const f = tmp();
      io.saveTorch(a.stateDict(), f);
      const sd = io.loadTorch(f) as Record<string, Tensor>;
      expect(Object.keys(sd)).toEqual(['0.weight', '0.bias', '1.weight', '1.bias', '1.running_mean', '1.running_var']);
      const b = make();
      b.loadStateDict(sd);
      expect((b.children()[1] as nn.BatchNorm2d).runningMean!.toArray()).toEqual([0.25, -1]);
      if (hasTorch) {
        // torch's own model takes it (strict), filling in num_batches_tracked
        const py = `import torch; m = torch.nn.Sequential(torch.nn.Conv2d(1, 2, 3), torch.nn.BatchNorm2d(2)); r = m.load_state_dict(torch.load(${JSON.stringify(f)})); print(m[1].running_mean.tolist(), int(m[1].num_batches_tracked))`;
        expect(execFileSync('/usr/bin/python3', ['-c', py], { encoding: 'utf8' }).trim()).toBe('[0.25, -1.0] 0');
      }
    }));

  it("loadStateDict leaves a module's own snake_case names alone", () =>
    tidy(() => {
      class Own extends nn.Module {
        running_mean = nn.Parameter(tensor([1, 2]));
        forward(x: Tensor): Tensor {
          return x.add(this.running_mean);
        }
      }
      const m = new Own();
      m.loadStateDict({ running_mean: tensor([5, 6]) });
      expect(m.running_mean.toArray()).toEqual([5, 6]);
      // torch's counters are skipped wherever they appear
      expect(m.loadStateDict({ running_mean: tensor([7, 8]), 'x.num_batches_tracked': tensor([1]) })).toEqual({
        missingKeys: [],
        unexpectedKeys: [],
      });
    }));

  it.skipIf(!hasTorch)('writes files PyTorch loads (weights_only too), to the same values (needs python3-torch)', () =>
    tidy(() => {
      const f = tmp();
      const w = randn([2, 3]);
      io.saveTorch({ w, n: tensor([7n]), h: tensor([1.5], { dtype: 'float16' }) }, f);
      const out = execFileSync(
        '/usr/bin/python3',
        [
          '-c',
          `import torch, json; sd = torch.load(${JSON.stringify(f)}, weights_only=True) if 'weights_only' in torch.load.__code__.co_varnames else torch.load(${JSON.stringify(f)}); print(json.dumps({k: [str(v.dtype), list(v.shape), v.float().reshape(-1).tolist()] for k, v in sd.items()}))`,
        ],
        { encoding: 'utf8' },
      );
      const sd = JSON.parse(out);
      expect(sd.w[0]).toBe('torch.float32');
      expect(sd.w[1]).toEqual([2, 3]);
      expect(sd.w[2]).toEqual(Array.from(w.data() as Float32Array));
      expect(sd.n).toEqual(['torch.int64', [1], [7]]);
      expect(sd.h).toEqual(['torch.float16', [1], [1.5]]);
    }),
  );

  it('checks its arguments', () => {
    expectTensorError(
      () => io.saveTorch({ a: 3 as never }, tmp()),
      'INVALID_ARGUMENT',
      /io.saveTorch: 'a' is not a Tensor, got 3/,
    );
    expectTensorError(() => io.saveTorch({}, ''), 'INVALID_ARGUMENT', /expected a file path/);
    expectTensorError(
      () => io.saveTorch('x' as never, tmp()),
      'INVALID_ARGUMENT',
      /expected an object or Map of tensors/,
    );
  });
});

describe('corrupt files', () => {
  it('throw TensorErrors: not a zip, no data.pkl, truncations and flipped bytes', () => {
    expectTensorError(
      () => io.loadTorch(new Uint8Array([1, 2, 3])),
      'IO_ERROR',
      /io.loadTorch: not a valid zip archive/,
    );
    expectTensorError(() => io.loadTorch('/nonexistent/model.pt'), 'IO_ERROR', /cannot read/);
    expectTensorError(() => io.loadTorch(5 as never), 'INVALID_ARGUMENT', /expected a file path or the file's bytes/);
    const good = fs.readFileSync(file('checkpoint.pt'));
    let seed = 12345;
    const rand = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    let errors = 0;
    for (let i = 0; i < 300; i++) {
      const b = new Uint8Array(good);
      const cut = i % 3 === 0 ? Math.floor(rand() * b.length) : b.length;
      for (let k = 0; k < 1 + (i % 5); k++) b[Math.floor(rand() * b.length)] = Math.floor(rand() * 256);
      try {
        tidy(() => void io.loadTorch(b.subarray(0, cut)));
      } catch (e) {
        expect(e).toBeInstanceOf(TensorError);
        errors++;
      }
    }
    expect(errors).toBeGreaterThan(50); // most damage is caught; the rest landed in tensor bytes
  });

  it('refuses a pickle that names anything but tensors and plain values', () => {
    // a zip whose data.pkl calls os.system: never run, an IO_ERROR naming it
    const evil = Buffer.from('\x80\x02cos\nsystem\nq\x00X\x02\x00\x00\x00lsq\x01\x85q\x02Rq\x03.', 'latin1');
    expectTensorError(() => io.loadTorch(craft(evil)), 'IO_ERROR', /the file refers to 'os.system'/);
  });
});

// A zip holding `archive/data.pkl` = pkl (stored), built by hand.
function craft(pkl: Uint8Array): Uint8Array {
  const name = new TextEncoder().encode('archive/data.pkl');
  const local = Buffer.alloc(30 + name.length);
  local.writeUInt32LE(0x04034b50, 0);
  local.writeUInt32LE(pkl.length, 18);
  local.writeUInt32LE(pkl.length, 22);
  local.writeUInt16LE(name.length, 26);
  Buffer.from(name).copy(local, 30);
  const central = Buffer.alloc(46 + name.length);
  central.writeUInt32LE(0x02014b50, 0);
  central.writeUInt32LE(pkl.length, 20);
  central.writeUInt32LE(pkl.length, 24);
  central.writeUInt16LE(name.length, 28);
  central.writeUInt32LE(0, 42);
  Buffer.from(name).copy(central, 46);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(1, 8);
  end.writeUInt16LE(1, 10);
  end.writeUInt32LE(central.length, 12);
  end.writeUInt32LE(local.length + pkl.length, 16);
  return Buffer.concat([local, pkl, central, end]);
}
