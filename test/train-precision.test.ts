// Trainer({ precision }): 'bf16-mixed' runs every step under autocast; '16-mixed' adds a
// GradScaler, equal to the hand-written torch.amp loop (unscale before clipping), whose state a
// checkpoint carries so that a resumed run equals an uninterrupted one.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

import * as tk from '../src/index.js';
import { amp, data, nn, optim, train, type Tensor } from '../src/index.js';
import { expectTensorError } from './helpers/harness.js';

const root = fs.mkdtempSync(path.join(os.tmpdir(), 'tk-precision-'));
afterAll(() => fs.rmSync(root, { recursive: true, force: true }));
let dirs = 0;
const freshDir = () => path.join(root, `run${dirs++}`);

function dataset(n = 64) {
  tk.manualSeed(1);
  const x = tk.randn([n, 4]);
  const y = tk.tidy(() => x.matmul(tk.tensor([[1], [-2], [0.5], [3]])).add(0.1));
  return new data.TensorDataset(x, y);
}

// Records, per stage, whether autocast was on and the dtype the layer produced.
class Net extends train.LightningModule {
  net = new nn.Sequential(new nn.Linear(4, 8), new nn.Tanh(), new nn.Linear(8, 1));
  seen: Record<string, [boolean, string]> = {};
  override forward(x: Tensor) {
    return this.net.forward(x);
  }
  private run(stage: string, [x, y]: Tensor[]) {
    const out = this.forward(x!);
    this.seen[stage] = [amp.isAutocastEnabled('cpu'), out.dtype];
    return nn.functional.mseLoss(out.float(), y!);
  }
  override trainingStep(b: Tensor[]) {
    return this.run('train', b);
  }
  override validationStep(b: Tensor[]) {
    this.run('val', b);
  }
  override predictStep(b: Tensor[]) {
    return this.run('predict', b);
  }
  override configureOptimizers() {
    return new optim.SGD(this.parameters(), { lr: 0.05 });
  }
}

const quiet = { enableProgressBar: false, logger: false, enableCheckpointing: false, numSanityValSteps: 0 } as const;

describe('Trainer precision', () => {
  it("'bf16-mixed' runs training, validation and predict steps under autocast; '32-true' does not", async () => {
    const loader = () => new data.DataLoader(dataset(), { batchSize: 16 });
    const m = new Net();
    const t = new train.Trainer({ ...quiet, maxEpochs: 2, precision: 'bf16-mixed' });
    await t.fit(m, { train: loader(), val: loader() });
    await t.predict(m, loader());
    expect(m.seen).toEqual({ train: [true, 'bfloat16'], val: [true, 'bfloat16'], predict: [true, 'bfloat16'] });
    expect(amp.isAutocastEnabled('cpu')).toBe(false);
    expect(m.parameters().every((p) => p.dtype === 'float32')).toBe(true);
    const plain = new Net();
    await new train.Trainer({ ...quiet, maxEpochs: 1 }).fit(plain, loader());
    expect(plain.seen.train).toEqual([false, 'float32']);
  });

  it("'16-mixed' steps as the hand-written autocast + GradScaler loop, clipping true gradients", async () => {
    const ds = dataset();
    tk.manualSeed(3);
    const m = new Net();
    tk.manualSeed(3);
    const ref = new Net();
    const t = new train.Trainer({ ...quiet, maxEpochs: 2, precision: '16-mixed', gradientClipVal: 0.5 });
    await t.fit(m, new data.DataLoader(ds, { batchSize: 16 }));
    // torch's recipe, by hand
    const opt = ref.configureOptimizers();
    const scaler = new amp.GradScaler('cpu');
    for (let epoch = 0; epoch < 2; epoch++)
      for (const [x, y] of new data.DataLoader(ds, { batchSize: 16 }))
        tk.tidy(() => {
          const loss = amp.autocast('cpu', () => ref.trainingStep([x!, y!]), { dtype: 'float16' });
          scaler.scale(loss).backward();
          scaler.unscale_(opt);
          nn.utils.clipGradNorm_(ref.parameters(), 0.5);
          scaler.step(opt);
          scaler.update();
          opt.zeroGrad();
        });
    const w = (n: Net) => n.parameters().map((p) => Array.from(p.data() as Float32Array));
    expect(w(m)).toEqual(w(ref));
    expect(m.seen.train).toEqual([true, 'float16']);
    // and not what float32 training gives
    tk.manualSeed(3);
    const f32 = new Net();
    await new train.Trainer({ ...quiet, maxEpochs: 2, gradientClipVal: 0.5 }).fit(
      f32,
      new data.DataLoader(ds, { batchSize: 16 }),
    );
    expect(w(f32)).not.toEqual(w(m));
  });

  it("a '16-mixed' checkpoint holds the scaler, and a resumed run equals an uninterrupted one", async () => {
    const run = async (maxEpochs: number, dir?: string, ckptPath?: string) => {
      tk.manualSeed(5);
      const m = new Net();
      const t = new train.Trainer({
        ...quiet,
        maxEpochs,
        precision: '16-mixed',
        defaultRootDir: dir ?? freshDir(),
        enableCheckpointing: !!dir,
        callbacks: dir ? [new train.ModelCheckpoint({ saveLast: true, saveTopK: 0 })] : [],
      });
      await t.fit(m, new data.DataLoader(dataset(), { batchSize: 8 }), { ckptPath });
      return m.parameters().map((p) => Array.from(p.data() as Float32Array));
    };
    const full = await run(3);
    const dir = freshDir();
    expect(await run(1, dir)).not.toEqual(full);
    const ck = path.join(dir, 'checkpoints', 'last.ckpt');
    const saved = tk.io.loadCheckpoint(ck).gradScaler as Record<string, number>;
    // The first steps overflow in float16 at 2^16 and back the scale off.
    expect(saved.scale).toBeLessThan(2 ** 16);
    expect(Object.keys(saved).sort()).toEqual([
      'backoffFactor',
      'growthFactor',
      'growthInterval',
      'growthTracker',
      'scale',
    ]);
    expect(await run(3, undefined, ck)).toEqual(full);
  });

  it('an unknown precision is an INVALID_ARGUMENT naming the valid ones', () => {
    expectTensorError(
      () => new train.Trainer({ precision: '8-mixed' as never }),
      'INVALID_ARGUMENT',
      /precision must be '32-true', 'bf16-mixed' or '16-mixed', got .8-mixed./,
    );
  });
});
