// Layer attributions: Grad-CAM on a module's output, captured with a forward hook.
import { grad as autogradGrad } from '../autograd.js';
import { fail } from '../errors.js';
import { tidy } from '../memory.js';
import { Module } from '../nn/module.js';
import { checkOptions, describe } from '../options.js';
import { Tensor } from '../tensor.js';
import { runForward, selectTarget, type ForwardFn, type TargetOptions, type Target } from './attribution.js';

/** Options of layerGradCam. */
export interface LayerGradCamOptions extends TargetOptions {
  /** ReLU the map (Captum's relu_attributions; default false, as Captum). */
  reluAttributions?: boolean;
}

/**
 * Grad-CAM (Selvaraju et al. 2017), as Captum's LayerGradCam: the layer's output channels weighted
 * by the spatial mean of the target's gradient with respect to them, summed over channels:
 * [N, 1, ...spatial] at the layer's resolution (upsample with `nn.functional.interpolate`). The
 * layer's output is captured by a forward hook, removed afterwards.
 * @example const cam = explain.layerGradCam(model, model.conv2, x, { target: 1, reluAttributions: true })
 */
export function layerGradCam(f: ForwardFn, layer: Module, inputs: Tensor, options: LayerGradCamOptions = {}): Tensor {
  const op = 'explain.layerGradCam';
  const o = checkOptions(op, options, { target: 'any', reluAttributions: 'boolean' });
  if (!(layer instanceof Module)) fail('INVALID_ARGUMENT', `${op}: layer must be an nn.Module, got ${describe(layer)}`);
  if (!(inputs instanceof Tensor)) fail('INVALID_ARGUMENT', `${op}: inputs must be a Tensor, got ${describe(inputs)}`);
  return tidy(() => {
    let acts: Tensor | null = null;
    const handle = layer.registerForwardHook((_m, _i, out) => {
      if (!(out instanceof Tensor))
        fail('INVALID_ARGUMENT', `${op}: the layer must return a Tensor, got ${describe(out)}`);
      acts = out;
    });
    let sel: Tensor;
    try {
      // The input need not require grad; the layer's output must be in the graph.
      const xr = inputs.detach().requiresGrad_(true);
      sel = selectTarget(runForward(f, xr, op), o.target as Target, 1, op);
    } finally {
      handle.remove();
    }
    const a = acts as Tensor | null;
    if (!a) fail('INVALID_ARGUMENT', `${op}: the layer did not run in the model's forward`);
    if (a.ndim < 3)
      fail('SHAPE_MISMATCH', `${op}: the layer's output must be [N, C, ...spatial], got [${a.shape.join(', ')}]`);
    const [g] = autogradGrad(sel.sum(), a);
    const spatial = Array.from({ length: a.ndim - 2 }, (_, i) => i + 2);
    const w = (g as Tensor).mean(spatial, { keepdim: true });
    const cam = w.mul(a.detach()).sum(1, { keepdim: true });
    return o.reluAttributions ? cam.relu() : cam;
  });
}
