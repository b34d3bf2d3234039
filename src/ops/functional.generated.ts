// Generated from native/include/tk/ops.def by scripts/gen-ops.ts (npm run gen:ops); do not edit.
// The free form of every op that is a Tensor method: sum(x, 1, { keepdim: true }) is x.sum(1, { keepdim: true }).
import type { Tensor } from '../tensor.js';
import { freeFunction } from './free.js';

/** torch.neg: {@link Tensor.neg | input.neg(...)} as a free function. */
export const neg = freeFunction('neg');
/** torch.abs: {@link Tensor.abs | input.abs(...)} as a free function. */
export const abs = freeFunction('abs');
/** torch.exp: {@link Tensor.exp | input.exp(...)} as a free function. */
export const exp = freeFunction('exp');
/** torch.log: {@link Tensor.log | input.log(...)} as a free function. */
export const log = freeFunction('log');
/** torch.log1p: {@link Tensor.log1p | input.log1p(...)} as a free function. */
export const log1p = freeFunction('log1p');
/** torch.sqrt: {@link Tensor.sqrt | input.sqrt(...)} as a free function. */
export const sqrt = freeFunction('sqrt');
/** torch.rsqrt: {@link Tensor.rsqrt | input.rsqrt(...)} as a free function. */
export const rsqrt = freeFunction('rsqrt');
/** torch.sin: {@link Tensor.sin | input.sin(...)} as a free function. */
export const sin = freeFunction('sin');
/** torch.cos: {@link Tensor.cos | input.cos(...)} as a free function. */
export const cos = freeFunction('cos');
/** torch.relu: {@link Tensor.relu | input.relu(...)} as a free function. */
export const relu = freeFunction('relu');
/** torch.sigmoid: {@link Tensor.sigmoid | input.sigmoid(...)} as a free function. */
export const sigmoid = freeFunction('sigmoid');
/** torch.tanh: {@link Tensor.tanh | input.tanh(...)} as a free function. */
export const tanh = freeFunction('tanh');
/** torch.gelu: {@link Tensor.gelu | input.gelu(...)} as a free function. */
export const gelu = freeFunction('gelu');
/** torch.erf: {@link Tensor.erf | input.erf(...)} as a free function. */
export const erf = freeFunction('erf');
/** torch.clamp: {@link Tensor.clamp | input.clamp(...)} as a free function. */
export const clamp = freeFunction('clamp');
/** torch.floor: {@link Tensor.floor | input.floor(...)} as a free function. */
export const floor = freeFunction('floor');
/** torch.ceil: {@link Tensor.ceil | input.ceil(...)} as a free function. */
export const ceil = freeFunction('ceil');
/** torch.round: {@link Tensor.round | input.round(...)} as a free function. */
export const round = freeFunction('round');
/** torch.trunc: {@link Tensor.trunc | input.trunc(...)} as a free function. */
export const trunc = freeFunction('trunc');
/** torch.sign: {@link Tensor.sign | input.sign(...)} as a free function. */
export const sign = freeFunction('sign');
/** torch.tan: {@link Tensor.tan | input.tan(...)} as a free function. */
export const tan = freeFunction('tan');
/** torch.asin: {@link Tensor.asin | input.asin(...)} as a free function. */
export const asin = freeFunction('asin');
/** torch.acos: {@link Tensor.acos | input.acos(...)} as a free function. */
export const acos = freeFunction('acos');
/** torch.atan: {@link Tensor.atan | input.atan(...)} as a free function. */
export const atan = freeFunction('atan');
/** torch.sinh: {@link Tensor.sinh | input.sinh(...)} as a free function. */
export const sinh = freeFunction('sinh');
/** torch.cosh: {@link Tensor.cosh | input.cosh(...)} as a free function. */
export const cosh = freeFunction('cosh');
/** torch.asinh: {@link Tensor.asinh | input.asinh(...)} as a free function. */
export const asinh = freeFunction('asinh');
/** torch.acosh: {@link Tensor.acosh | input.acosh(...)} as a free function. */
export const acosh = freeFunction('acosh');
/** torch.atanh: {@link Tensor.atanh | input.atanh(...)} as a free function. */
export const atanh = freeFunction('atanh');
/** torch.expm1: {@link Tensor.expm1 | input.expm1(...)} as a free function. */
export const expm1 = freeFunction('expm1');
/** torch.exp2: {@link Tensor.exp2 | input.exp2(...)} as a free function. */
export const exp2 = freeFunction('exp2');
/** torch.log2: {@link Tensor.log2 | input.log2(...)} as a free function. */
export const log2 = freeFunction('log2');
/** torch.log10: {@link Tensor.log10 | input.log10(...)} as a free function. */
export const log10 = freeFunction('log10');
/** torch.reciprocal: {@link Tensor.reciprocal | input.reciprocal(...)} as a free function. */
export const reciprocal = freeFunction('reciprocal');
/** torch.erfc: {@link Tensor.erfc | input.erfc(...)} as a free function. */
export const erfc = freeFunction('erfc');
/** torch.erfinv: {@link Tensor.erfinv | input.erfinv(...)} as a free function. */
export const erfinv = freeFunction('erfinv');
/** torch.lgamma: {@link Tensor.lgamma | input.lgamma(...)} as a free function. */
export const lgamma = freeFunction('lgamma');
/** torch.digamma: {@link Tensor.digamma | input.digamma(...)} as a free function. */
export const digamma = freeFunction('digamma');
/** torch.polygamma: {@link Tensor.polygamma | input.polygamma(...)} as a free function. */
export const polygamma = freeFunction('polygamma');
/** torch.i0: {@link Tensor.i0 | input.i0(...)} as a free function. */
export const i0 = freeFunction('i0');
/** torch.i0e: {@link Tensor.i0e | input.i0e(...)} as a free function. */
export const i0e = freeFunction('i0e');
/** torch.i1: {@link Tensor.i1 | input.i1(...)} as a free function. */
export const i1 = freeFunction('i1');
/** torch.i1e: {@link Tensor.i1e | input.i1e(...)} as a free function. */
export const i1e = freeFunction('i1e');
/** torch.ndtri: {@link Tensor.ndtri | input.ndtri(...)} as a free function. */
export const ndtri = freeFunction('ndtri');
/** torch.logNdtr: {@link Tensor.logNdtr | input.logNdtr(...)} as a free function. */
export const logNdtr = freeFunction('logNdtr');
/** torch.erfcx: {@link Tensor.erfcx | input.erfcx(...)} as a free function. */
export const erfcx = freeFunction('erfcx');
/** torch.besselJ0: {@link Tensor.besselJ0 | input.besselJ0(...)} as a free function. */
export const besselJ0 = freeFunction('besselJ0');
/** torch.besselJ1: {@link Tensor.besselJ1 | input.besselJ1(...)} as a free function. */
export const besselJ1 = freeFunction('besselJ1');
/** torch.besselY0: {@link Tensor.besselY0 | input.besselY0(...)} as a free function. */
export const besselY0 = freeFunction('besselY0');
/** torch.besselY1: {@link Tensor.besselY1 | input.besselY1(...)} as a free function. */
export const besselY1 = freeFunction('besselY1');
/** torch.modifiedBesselK0: {@link Tensor.modifiedBesselK0 | input.modifiedBesselK0(...)} as a free function. */
export const modifiedBesselK0 = freeFunction('modifiedBesselK0');
/** torch.modifiedBesselK1: {@link Tensor.modifiedBesselK1 | input.modifiedBesselK1(...)} as a free function. */
export const modifiedBesselK1 = freeFunction('modifiedBesselK1');
/** torch.scaledModifiedBesselK0: {@link Tensor.scaledModifiedBesselK0 | input.scaledModifiedBesselK0(...)} as a free function. */
export const scaledModifiedBesselK0 = freeFunction('scaledModifiedBesselK0');
/** torch.scaledModifiedBesselK1: {@link Tensor.scaledModifiedBesselK1 | input.scaledModifiedBesselK1(...)} as a free function. */
export const scaledModifiedBesselK1 = freeFunction('scaledModifiedBesselK1');
/** torch.sphericalBesselJ0: {@link Tensor.sphericalBesselJ0 | input.sphericalBesselJ0(...)} as a free function. */
export const sphericalBesselJ0 = freeFunction('sphericalBesselJ0');
/** torch.airyAi: {@link Tensor.airyAi | input.airyAi(...)} as a free function. */
export const airyAi = freeFunction('airyAi');
/** torch.bitwiseNot: {@link Tensor.bitwiseNot | input.bitwiseNot(...)} as a free function. */
export const bitwiseNot = freeFunction('bitwiseNot');
/** torch.add: {@link Tensor.add | input.add(...)} as a free function. */
export const add = freeFunction('add');
/** torch.sub: {@link Tensor.sub | input.sub(...)} as a free function. */
export const sub = freeFunction('sub');
/** torch.mul: {@link Tensor.mul | input.mul(...)} as a free function. */
export const mul = freeFunction('mul');
/** torch.div: {@link Tensor.div | input.div(...)} as a free function. */
export const div = freeFunction('div');
/** torch.pow: {@link Tensor.pow | input.pow(...)} as a free function. */
export const pow = freeFunction('pow');
/** torch.maximum: {@link Tensor.maximum | input.maximum(...)} as a free function. */
export const maximum = freeFunction('maximum');
/** torch.minimum: {@link Tensor.minimum | input.minimum(...)} as a free function. */
export const minimum = freeFunction('minimum');
/** torch.remainder: {@link Tensor.remainder | input.remainder(...)} as a free function. */
export const remainder = freeFunction('remainder');
/** torch.fmod: {@link Tensor.fmod | input.fmod(...)} as a free function. */
export const fmod = freeFunction('fmod');
/** torch.floorDivide: {@link Tensor.floorDivide | input.floorDivide(...)} as a free function. */
export const floorDivide = freeFunction('floorDivide');
/** torch.atan2: {@link Tensor.atan2 | input.atan2(...)} as a free function. */
export const atan2 = freeFunction('atan2');
/** torch.zeta: {@link Tensor.zeta | input.zeta(...)} as a free function. */
export const zeta = freeFunction('zeta');
/** torch.gammainc: {@link Tensor.gammainc | input.gammainc(...)} as a free function. */
export const gammainc = freeFunction('gammainc');
/** torch.gammaincc: {@link Tensor.gammaincc | input.gammaincc(...)} as a free function. */
export const gammaincc = freeFunction('gammaincc');
/** torch.nextafter: {@link Tensor.nextafter | input.nextafter(...)} as a free function. */
export const nextafter = freeFunction('nextafter');
/** torch.bitwiseAnd: {@link Tensor.bitwiseAnd | input.bitwiseAnd(...)} as a free function. */
export const bitwiseAnd = freeFunction('bitwiseAnd');
/** torch.bitwiseOr: {@link Tensor.bitwiseOr | input.bitwiseOr(...)} as a free function. */
export const bitwiseOr = freeFunction('bitwiseOr');
/** torch.bitwiseXor: {@link Tensor.bitwiseXor | input.bitwiseXor(...)} as a free function. */
export const bitwiseXor = freeFunction('bitwiseXor');
/** torch.bitwiseLeftShift: {@link Tensor.bitwiseLeftShift | input.bitwiseLeftShift(...)} as a free function. */
export const bitwiseLeftShift = freeFunction('bitwiseLeftShift');
/** torch.bitwiseRightShift: {@link Tensor.bitwiseRightShift | input.bitwiseRightShift(...)} as a free function. */
export const bitwiseRightShift = freeFunction('bitwiseRightShift');
/** torch.gcd: {@link Tensor.gcd | input.gcd(...)} as a free function. */
export const gcd = freeFunction('gcd');
/** torch.lcm: {@link Tensor.lcm | input.lcm(...)} as a free function. */
export const lcm = freeFunction('lcm');
/** torch.eq: {@link Tensor.eq | input.eq(...)} as a free function. */
export const eq = freeFunction('eq');
/** torch.ne: {@link Tensor.ne | input.ne(...)} as a free function. */
export const ne = freeFunction('ne');
/** torch.lt: {@link Tensor.lt | input.lt(...)} as a free function. */
export const lt = freeFunction('lt');
/** torch.le: {@link Tensor.le | input.le(...)} as a free function. */
export const le = freeFunction('le');
/** torch.gt: {@link Tensor.gt | input.gt(...)} as a free function. */
export const gt = freeFunction('gt');
/** torch.ge: {@link Tensor.ge | input.ge(...)} as a free function. */
export const ge = freeFunction('ge');
/** torch.sum: {@link Tensor.sum | input.sum(...)} as a free function. */
export const sum = freeFunction('sum');
/** torch.mean: {@link Tensor.mean | input.mean(...)} as a free function. */
export const mean = freeFunction('mean');
/** torch.max: {@link Tensor.max | input.max(...)} as a free function. */
export const max = freeFunction('max');
/** torch.min: {@link Tensor.min | input.min(...)} as a free function. */
export const min = freeFunction('min');
/** torch.max: {@link Tensor.maxWithIndices | input.maxWithIndices(...)} as a free function. */
export const maxWithIndices = freeFunction('maxWithIndices');
/** torch.min: {@link Tensor.minWithIndices | input.minWithIndices(...)} as a free function. */
export const minWithIndices = freeFunction('minWithIndices');
/** torch.argmax: {@link Tensor.argmax | input.argmax(...)} as a free function. */
export const argmax = freeFunction('argmax');
/** torch.argmin: {@link Tensor.argmin | input.argmin(...)} as a free function. */
export const argmin = freeFunction('argmin');
/** torch.var: {@link Tensor.var | input.var(...)} as a free function. */
const var_ = freeFunction('var');
export { var_ as var };
/** torch.std: {@link Tensor.std | input.std(...)} as a free function. */
export const std = freeFunction('std');
/** torch.softmax: {@link Tensor.softmax | input.softmax(...)} as a free function. */
export const softmax = freeFunction('softmax');
/** torch.logSoftmax: {@link Tensor.logSoftmax | input.logSoftmax(...)} as a free function. */
export const logSoftmax = freeFunction('logSoftmax');
/** torch.cumsum: {@link Tensor.cumsum | input.cumsum(...)} as a free function. */
export const cumsum = freeFunction('cumsum');
/** torch.cumprod: {@link Tensor.cumprod | input.cumprod(...)} as a free function. */
export const cumprod = freeFunction('cumprod');
/** torch.reshape: {@link Tensor.reshape | input.reshape(...)} as a free function. */
export const reshape = freeFunction('reshape');
/** torch.view: {@link Tensor.view | input.view(...)} as a free function. */
export const view = freeFunction('view');
/** torch.transpose: {@link Tensor.transpose | input.transpose(...)} as a free function. */
export const transpose = freeFunction('transpose');
/** torch.permute: {@link Tensor.permute | input.permute(...)} as a free function. */
export const permute = freeFunction('permute');
/** torch.expand: {@link Tensor.expand | input.expand(...)} as a free function. */
export const expand = freeFunction('expand');
/** torch.squeeze: {@link Tensor.squeeze | input.squeeze(...)} as a free function. */
export const squeeze = freeFunction('squeeze');
/** torch.unsqueeze: {@link Tensor.unsqueeze | input.unsqueeze(...)} as a free function. */
export const unsqueeze = freeFunction('unsqueeze');
/** torch.flatten: {@link Tensor.flatten | input.flatten(...)} as a free function. */
export const flatten = freeFunction('flatten');
/** torch.narrow: {@link Tensor.narrow | input.narrow(...)} as a free function. */
export const narrow = freeFunction('narrow');
/** torch.select: {@link Tensor.select | input.select(...)} as a free function. */
export const select = freeFunction('select');
/** torch.diagonal: {@link Tensor.diagonal | input.diagonal(...)} as a free function. */
export const diagonal = freeFunction('diagonal');
/** torch.unfold: {@link Tensor.unfold | input.unfold(...)} as a free function. */
export const unfold = freeFunction('unfold');
/** torch.asStrided: {@link Tensor.asStrided | input.asStrided(...)} as a free function. */
export const asStrided = freeFunction('asStrided');
/** torch.contiguous: {@link Tensor.contiguous | input.contiguous(...)} as a free function. */
export const contiguous = freeFunction('contiguous');
/** torch.clone: {@link Tensor.clone | input.clone(...)} as a free function. */
export const clone = freeFunction('clone');
/** torch.dot: {@link Tensor.dot | input.dot(...)} as a free function. */
export const dot = freeFunction('dot');
/** torch.matmul: {@link Tensor.matmul | input.matmul(...)} as a free function. */
export const matmul = freeFunction('matmul');
/** torch.mv: {@link Tensor.mv | input.mv(...)} as a free function. */
export const mv = freeFunction('mv');
/** torch.bmm: {@link Tensor.bmm | input.bmm(...)} as a free function. */
export const bmm = freeFunction('bmm');
/** torch.addmm: {@link Tensor.addmm | input.addmm(...)} as a free function. */
export const addmm = freeFunction('addmm');
/** torch.indexSelect: {@link Tensor.indexSelect | input.indexSelect(...)} as a free function. */
export const indexSelect = freeFunction('indexSelect');
/** torch.gather: {@link Tensor.gather | input.gather(...)} as a free function. */
export const gather = freeFunction('gather');
/** torch.scatter: {@link Tensor.scatter | input.scatter(...)} as a free function. */
export const scatter = freeFunction('scatter');
/** torch.nonzero: {@link Tensor.nonzero | input.nonzero(...)} as a free function. */
export const nonzero = freeFunction('nonzero');
/** torch.argsort: {@link Tensor.argsort | input.argsort(...)} as a free function. */
export const argsort = freeFunction('argsort');
/** torch.bincount: {@link Tensor.bincount | input.bincount(...)} as a free function. */
export const bincount = freeFunction('bincount');
