// The ONNX LSTM and GRU ops for onnx.load's interpreter, unrolled over the (static) sequence
// length in tensorkit ops, as nn.LSTM and nn.GRU run.
import { zeros } from '../ops/creation.js';
import { stack } from '../ops/functional.js';
import * as F from '../nn/functional.js';
import type { Tensor } from '../tensor.js';
import type { OpImpl } from './import_ops.js';

// Recurrent layers, ONNX's equations (gates i, o, f, c for LSTM; z, r, h for GRU).
export function recurrent(cell: 'LSTM' | 'GRU'): OpImpl {
  return (c, n) => {
    if (n.inputs[4]) c.bad(n, 'sequence_lens is not supported');
    if (c.attr(n, 'activations') || c.attr(n, 'clip') || c.int(n, 'input_forget', 0))
      c.bad(n, 'custom activations, clip and input_forget are not supported');
    const layout = c.int(n, 'layout', 0);
    let X = c.t(n, 0);
    if (layout === 1) X = X.transpose(0, 1);
    const W = c.t(n, 1),
      R = c.t(n, 2);
    const B = n.inputs[3] ? c.t(n, 3) : null;
    const H = c.int(n, 'hidden_size', R.shape[2]);
    const dir = c.str(n, 'direction', 'forward');
    const dirs = dir === 'bidirectional' ? 2 : 1;
    if (W.shape[0] !== dirs) c.bad(n, `W has ${W.shape[0]} directions, direction is '${dir}'`);
    const G = cell === 'LSTM' ? 4 : 3;
    const lbr = c.int(n, 'linear_before_reset', 0) === 1;
    const [T, N] = X.shape;
    const h0 = n.inputs[5] ? c.t(n, 5) : null,
      c0 = n.inputs[6] ? c.t(n, 6) : null;
    const ys: Tensor[] = [],
      hs: Tensor[] = [],
      cs: Tensor[] = [];
    for (let d = 0; d < dirs; d++) {
      const reverse = dir === 'reverse' || d === 1;
      const w = W.select(0, d),
        r = R.select(0, d);
      const wb = B ? B.select(0, d).narrow(0, 0, G * H) : null,
        rb = B ? B.select(0, d).narrow(0, G * H, G * H) : null;
      const xp = F.linear(X.reshape(T * N, -1), w, wb).reshape(T, N, G * H);
      let h = h0 ? h0.select(0, d) : zeros([N, H], { dtype: X.dtype });
      let cc = c0 ? c0.select(0, d) : zeros([N, H], { dtype: X.dtype });
      const outs: Tensor[] = new Array(T);
      const g = (t: Tensor, i: number) => t.narrow(1, i * H, H);
      for (let s = 0; s < T; s++) {
        const t = reverse ? T - 1 - s : s;
        const xt = xp.select(0, t);
        if (cell === 'LSTM') {
          const z = xt.add(F.linear(h, r, rb));
          const i = g(z, 0).sigmoid(),
            o = g(z, 1).sigmoid(),
            f = g(z, 2).sigmoid(),
            ct = g(z, 3).tanh();
          cc = f.mul(cc).add(i.mul(ct));
          h = o.mul(cc.tanh());
        } else {
          const rz = r.narrow(0, 0, 2 * H),
            rh = r.narrow(0, 2 * H, H);
          const hr = F.linear(h, rz, rb ? rb.narrow(0, 0, 2 * H) : null);
          const zt = g(xt, 0).add(g(hr, 0)).sigmoid(),
            rt = g(xt, 1).add(g(hr, 1)).sigmoid();
          const rbh = rb ? rb.narrow(0, 2 * H, H) : null;
          const hh = lbr ? rt.mul(F.linear(h, rh, rbh)) : F.linear(rt.mul(h), rh, rbh);
          const nt = g(xt, 2).add(hh).tanh();
          h = zt.neg().add(1).mul(nt).add(zt.mul(h));
        }
        outs[t] = h;
      }
      ys.push(stack(outs, 0));
      hs.push(h);
      cs.push(cc);
    }
    let Y = stack(ys, 1); // [T, dirs, N, H]
    if (layout === 1) Y = Y.permute(2, 0, 1, 3);
    let Yh = stack(hs, 0),
      Yc = stack(cs, 0);
    if (layout === 1) {
      Yh = Yh.transpose(0, 1);
      Yc = Yc.transpose(0, 1);
    }
    c.set(n, 0, Y);
    c.set(n, 1, Yh);
    if (cell === 'LSTM') c.set(n, 2, Yc);
  };
}
