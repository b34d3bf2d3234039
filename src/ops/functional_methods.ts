// The free form of Tensor methods composed in TypeScript (torch.flip(x, dims) beside x.flip(dims)),
// and of torch's aliases: the native ops' free forms are generated (functional.generated.ts); these
// are the methods that torch also offers as torch.* functions. Each checks that `input` is a Tensor.
import type { Tensor } from '../tensor.js';
import { freeFunction } from './free.js';

/** torch.addbmm: {@link Tensor.addbmm | input.addbmm(...)} as a free function. */
export const addbmm = freeFunction('addbmm');
/** torch.addcdiv: {@link Tensor.addcdiv | input.addcdiv(...)} as a free function. */
export const addcdiv = freeFunction('addcdiv');
/** torch.addcmul: {@link Tensor.addcmul | input.addcmul(...)} as a free function. */
export const addcmul = freeFunction('addcmul');
/** torch.addmv: {@link Tensor.addmv | input.addmv(...)} as a free function. */
export const addmv = freeFunction('addmv');
/** torch.addr: {@link Tensor.addr | input.addr(...)} as a free function. */
export const addr = freeFunction('addr');
/** torch.all: {@link Tensor.all | input.all(...)} as a free function. */
export const all = freeFunction('all');
/** torch.allclose: {@link Tensor.allclose | input.allclose(...)} as a free function. */
export const allclose = freeFunction('allclose');
/** torch.amax: {@link Tensor.amax | input.amax(...)} as a free function. */
export const amax = freeFunction('amax');
/** torch.amin: {@link Tensor.amin | input.amin(...)} as a free function. */
export const amin = freeFunction('amin');
/** torch.aminmax: {@link Tensor.aminmax | input.aminmax(...)} as a free function. */
export const aminmax = freeFunction('aminmax');
/** torch.any: {@link Tensor.any | input.any(...)} as a free function. */
export const any = freeFunction('any');
/** torch.baddbmm: {@link Tensor.baddbmm | input.baddbmm(...)} as a free function. */
export const baddbmm = freeFunction('baddbmm');
/** torch.broadcastTo: {@link Tensor.broadcastTo | input.broadcastTo(...)} as a free function. */
export const broadcastTo = freeFunction('broadcastTo');
/** torch.chunk: {@link Tensor.chunk | input.chunk(...)} as a free function. */
export const chunk = freeFunction('chunk');
/** torch.clampMax: {@link Tensor.clampMax | input.clampMax(...)} as a free function. */
export const clampMax = freeFunction('clampMax');
/** torch.clampMin: {@link Tensor.clampMin | input.clampMin(...)} as a free function. */
export const clampMin = freeFunction('clampMin');
/** torch.clip: {@link Tensor.clip | input.clip(...)} as a free function. */
export const clip = freeFunction('clip');
/** torch.corrcoef: {@link Tensor.corrcoef | input.corrcoef(...)} as a free function. */
export const corrcoef = freeFunction('corrcoef');
/** torch.countNonzero: {@link Tensor.countNonzero | input.countNonzero(...)} as a free function. */
export const countNonzero = freeFunction('countNonzero');
/** torch.cov: {@link Tensor.cov | input.cov(...)} as a free function. */
export const cov = freeFunction('cov');
/** torch.cross: {@link Tensor.cross | input.cross(...)} as a free function. */
export const cross = freeFunction('cross');
/** torch.cummax: {@link Tensor.cummax | input.cummax(...)} as a free function. */
export const cummax = freeFunction('cummax');
/** torch.cummin: {@link Tensor.cummin | input.cummin(...)} as a free function. */
export const cummin = freeFunction('cummin');
/** torch.deg2rad: {@link Tensor.deg2rad | input.deg2rad(...)} as a free function. */
export const deg2rad = freeFunction('deg2rad');
/** torch.detach: {@link Tensor.detach | input.detach(...)} as a free function. */
export const detach = freeFunction('detach');
/** torch.diag: {@link Tensor.diag | input.diag(...)} as a free function. */
export const diag = freeFunction('diag');
/** torch.diagEmbed: {@link Tensor.diagEmbed | input.diagEmbed(...)} as a free function. */
export const diagEmbed = freeFunction('diagEmbed');
/** torch.diff: {@link Tensor.diff | input.diff(...)} as a free function. */
export const diff = freeFunction('diff');
/** torch.dsplit: {@link Tensor.dsplit | input.dsplit(...)} as a free function. */
export const dsplit = freeFunction('dsplit');
/** torch.equal: {@link Tensor.equal | input.equal(...)} as a free function. */
export const equal = freeFunction('equal');
/** torch.flip: {@link Tensor.flip | input.flip(...)} as a free function. */
export const flip = freeFunction('flip');
/** torch.fliplr: {@link Tensor.fliplr | input.fliplr(...)} as a free function. */
export const fliplr = freeFunction('fliplr');
/** torch.flipud: {@link Tensor.flipud | input.flipud(...)} as a free function. */
export const flipud = freeFunction('flipud');
/** torch.frac: {@link Tensor.frac | input.frac(...)} as a free function. */
export const frac = freeFunction('frac');
/** torch.heaviside: {@link Tensor.heaviside | input.heaviside(...)} as a free function. */
export const heaviside = freeFunction('heaviside');
/** torch.hsplit: {@link Tensor.hsplit | input.hsplit(...)} as a free function. */
export const hsplit = freeFunction('hsplit');
/** torch.hypot: {@link Tensor.hypot | input.hypot(...)} as a free function. */
export const hypot = freeFunction('hypot');
/** torch.indexAdd: {@link Tensor.indexAdd | input.indexAdd(...)} as a free function. */
export const indexAdd = freeFunction('indexAdd');
/** torch.indexCopy: {@link Tensor.indexCopy | input.indexCopy(...)} as a free function. */
export const indexCopy = freeFunction('indexCopy');
/** torch.indexFill: {@link Tensor.indexFill | input.indexFill(...)} as a free function. */
export const indexFill = freeFunction('indexFill');
/** torch.inner: {@link Tensor.inner | input.inner(...)} as a free function. */
export const inner = freeFunction('inner');
/** torch.isFloatingPoint: {@link Tensor.isFloatingPoint | input.isFloatingPoint(...)} as a free function. */
export const isFloatingPoint = freeFunction('isFloatingPoint');
/** torch.isclose: {@link Tensor.isclose | input.isclose(...)} as a free function. */
export const isclose = freeFunction('isclose');
/** torch.isfinite: {@link Tensor.isfinite | input.isfinite(...)} as a free function. */
export const isfinite = freeFunction('isfinite');
/** torch.isinf: {@link Tensor.isinf | input.isinf(...)} as a free function. */
export const isinf = freeFunction('isinf');
/** torch.isnan: {@link Tensor.isnan | input.isnan(...)} as a free function. */
export const isnan = freeFunction('isnan');
/** torch.isneginf: {@link Tensor.isneginf | input.isneginf(...)} as a free function. */
export const isneginf = freeFunction('isneginf');
/** torch.isposinf: {@link Tensor.isposinf | input.isposinf(...)} as a free function. */
export const isposinf = freeFunction('isposinf');
/** torch.kthvalue: {@link Tensor.kthvalue | input.kthvalue(...)} as a free function. */
export const kthvalue = freeFunction('kthvalue');
/** torch.lerp: {@link Tensor.lerp | input.lerp(...)} as a free function. */
export const lerp = freeFunction('lerp');
/** torch.logaddexp: {@link Tensor.logaddexp | input.logaddexp(...)} as a free function. */
export const logaddexp = freeFunction('logaddexp');
/** torch.logaddexp2: {@link Tensor.logaddexp2 | input.logaddexp2(...)} as a free function. */
export const logaddexp2 = freeFunction('logaddexp2');
/** torch.logcumsumexp: {@link Tensor.logcumsumexp | input.logcumsumexp(...)} as a free function. */
export const logcumsumexp = freeFunction('logcumsumexp');
/** torch.logicalAnd: {@link Tensor.logicalAnd | input.logicalAnd(...)} as a free function. */
export const logicalAnd = freeFunction('logicalAnd');
/** torch.logicalNot: {@link Tensor.logicalNot | input.logicalNot(...)} as a free function. */
export const logicalNot = freeFunction('logicalNot');
/** torch.logicalOr: {@link Tensor.logicalOr | input.logicalOr(...)} as a free function. */
export const logicalOr = freeFunction('logicalOr');
/** torch.logit: {@link Tensor.logit | input.logit(...)} as a free function. */
export const logit = freeFunction('logit');
/** torch.logsumexp: {@link Tensor.logsumexp | input.logsumexp(...)} as a free function. */
export const logsumexp = freeFunction('logsumexp');
/** torch.maskedFill: {@link Tensor.maskedFill | input.maskedFill(...)} as a free function. */
export const maskedFill = freeFunction('maskedFill');
/** torch.maskedSelect: {@link Tensor.maskedSelect | input.maskedSelect(...)} as a free function. */
export const maskedSelect = freeFunction('maskedSelect');
/** torch.median: {@link Tensor.median | input.median(...)} as a free function. */
export const median = freeFunction('median');
/** torch.mm: {@link Tensor.mm | input.mm(...)} as a free function. */
export const mm = freeFunction('mm');
/** torch.mode: {@link Tensor.mode | input.mode(...)} as a free function. */
export const mode = freeFunction('mode');
/** torch.moveaxis: {@link Tensor.moveaxis | input.moveaxis(...)} as a free function. */
export const moveaxis = freeFunction('moveaxis');
/** torch.movedim: {@link Tensor.movedim | input.movedim(...)} as a free function. */
export const movedim = freeFunction('movedim');
/** torch.multinomial: {@link Tensor.multinomial | input.multinomial(...)} as a free function. */
export const multinomial = freeFunction('multinomial');
/** torch.nanToNum: {@link Tensor.nanToNum | input.nanToNum(...)} as a free function. */
export const nanToNum = freeFunction('nanToNum');
/** torch.nanmean: {@link Tensor.nanmean | input.nanmean(...)} as a free function. */
export const nanmean = freeFunction('nanmean');
/** torch.nanmedian: {@link Tensor.nanmedian | input.nanmedian(...)} as a free function. */
export const nanmedian = freeFunction('nanmedian');
/** torch.nanquantile: {@link Tensor.nanquantile | input.nanquantile(...)} as a free function. */
export const nanquantile = freeFunction('nanquantile');
/** torch.nansum: {@link Tensor.nansum | input.nansum(...)} as a free function. */
export const nansum = freeFunction('nansum');
/** torch.norm: {@link Tensor.norm | input.norm(...)} as a free function. */
export const norm = freeFunction('norm');
/** torch.numel: {@link Tensor.numel | input.numel(...)} as a free function. */
export const numel = freeFunction('numel');
/** torch.outer: {@link Tensor.outer | input.outer(...)} as a free function. */
export const outer = freeFunction('outer');
/** torch.prod: {@link Tensor.prod | input.prod(...)} as a free function. */
export const prod = freeFunction('prod');
/** torch.quantile: {@link Tensor.quantile | input.quantile(...)} as a free function. */
export const quantile = freeFunction('quantile');
/** torch.rad2deg: {@link Tensor.rad2deg | input.rad2deg(...)} as a free function. */
export const rad2deg = freeFunction('rad2deg');
/** torch.ravel: {@link Tensor.ravel | input.ravel(...)} as a free function. */
export const ravel = freeFunction('ravel');
/** torch.repeatInterleave: {@link Tensor.repeatInterleave | input.repeatInterleave(...)} as a free function. */
export const repeatInterleave = freeFunction('repeatInterleave');
/** torch.roll: {@link Tensor.roll | input.roll(...)} as a free function. */
export const roll = freeFunction('roll');
/** torch.rot90: {@link Tensor.rot90 | input.rot90(...)} as a free function. */
export const rot90 = freeFunction('rot90');
/** torch.scatterAdd: {@link Tensor.scatterAdd | input.scatterAdd(...)} as a free function. */
export const scatterAdd = freeFunction('scatterAdd');
/** torch.scatterReduce: {@link Tensor.scatterReduce | input.scatterReduce(...)} as a free function. */
export const scatterReduce = freeFunction('scatterReduce');
/** torch.signbit: {@link Tensor.signbit | input.signbit(...)} as a free function. */
export const signbit = freeFunction('signbit');
/** torch.sort: {@link Tensor.sort | input.sort(...)} as a free function. */
export const sort = freeFunction('sort');
/** torch.split: {@link Tensor.split | input.split(...)} as a free function. */
export const split = freeFunction('split');
/** torch.square: {@link Tensor.square | input.square(...)} as a free function. */
export const square = freeFunction('square');
/** torch.swapaxes: {@link Tensor.swapaxes | input.swapaxes(...)} as a free function. */
export const swapaxes = freeFunction('swapaxes');
/** torch.swapdims: {@link Tensor.swapdims | input.swapdims(...)} as a free function. */
export const swapdims = freeFunction('swapdims');
/** torch.t: {@link Tensor.t | input.t(...)} as a free function. */
export const t = freeFunction('t');
/** torch.take: {@link Tensor.take | input.take(...)} as a free function. */
export const take = freeFunction('take');
/** torch.takeAlongDim: {@link Tensor.takeAlongDim | input.takeAlongDim(...)} as a free function. */
export const takeAlongDim = freeFunction('takeAlongDim');
/** torch.tensorSplit: {@link Tensor.tensorSplit | input.tensorSplit(...)} as a free function. */
export const tensorSplit = freeFunction('tensorSplit');
/** torch.tile: {@link Tensor.tile | input.tile(...)} as a free function. */
export const tile = freeFunction('tile');
/** torch.topk: {@link Tensor.topk | input.topk(...)} as a free function. */
export const topk = freeFunction('topk');
/** torch.trace: {@link Tensor.trace | input.trace(...)} as a free function. */
export const trace = freeFunction('trace');
/** torch.tril: {@link Tensor.tril | input.tril(...)} as a free function. */
export const tril = freeFunction('tril');
/** torch.triu: {@link Tensor.triu | input.triu(...)} as a free function. */
export const triu = freeFunction('triu');
/** torch.unbind: {@link Tensor.unbind | input.unbind(...)} as a free function. */
export const unbind = freeFunction('unbind');
/** torch.unflatten: {@link Tensor.unflatten | input.unflatten(...)} as a free function. */
export const unflatten = freeFunction('unflatten');
/** torch.unique: {@link Tensor.unique | input.unique(...)} as a free function. */
export const unique = freeFunction('unique');
/** torch.uniqueConsecutive: {@link Tensor.uniqueConsecutive | input.uniqueConsecutive(...)} as a free function. */
export const uniqueConsecutive = freeFunction('uniqueConsecutive');
/** torch.vsplit: {@link Tensor.vsplit | input.vsplit(...)} as a free function. */
export const vsplit = freeFunction('vsplit');
/** torch.xlogy: {@link Tensor.xlogy | input.xlogy(...)} as a free function. */
export const xlogy = freeFunction('xlogy');
/** torch.absolute: {@link Tensor.absolute | input.absolute(...)} as a free function. */
export const absolute = freeFunction('absolute');
/** torch.arccos: {@link Tensor.arccos | input.arccos(...)} as a free function. */
export const arccos = freeFunction('arccos');
/** torch.arccosh: {@link Tensor.arccosh | input.arccosh(...)} as a free function. */
export const arccosh = freeFunction('arccosh');
/** torch.arcsin: {@link Tensor.arcsin | input.arcsin(...)} as a free function. */
export const arcsin = freeFunction('arcsin');
/** torch.arcsinh: {@link Tensor.arcsinh | input.arcsinh(...)} as a free function. */
export const arcsinh = freeFunction('arcsinh');
/** torch.arctan: {@link Tensor.arctan | input.arctan(...)} as a free function. */
export const arctan = freeFunction('arctan');
/** torch.arctan2: {@link Tensor.arctan2 | input.arctan2(...)} as a free function. */
export const arctan2 = freeFunction('arctan2');
/** torch.arctanh: {@link Tensor.arctanh | input.arctanh(...)} as a free function. */
export const arctanh = freeFunction('arctanh');
/** torch.divide: {@link Tensor.divide | input.divide(...)} as a free function. */
export const divide = freeFunction('divide');
/** torch.trueDivide: {@link Tensor.trueDivide | input.trueDivide(...)} as a free function. */
export const trueDivide = freeFunction('trueDivide');
/** torch.multiply: {@link Tensor.multiply | input.multiply(...)} as a free function. */
export const multiply = freeFunction('multiply');
/** torch.subtract: {@link Tensor.subtract | input.subtract(...)} as a free function. */
export const subtract = freeFunction('subtract');
/** torch.greater: {@link Tensor.greater | input.greater(...)} as a free function. */
export const greater = freeFunction('greater');
/** torch.greaterEqual: {@link Tensor.greaterEqual | input.greaterEqual(...)} as a free function. */
export const greaterEqual = freeFunction('greaterEqual');
/** torch.less: {@link Tensor.less | input.less(...)} as a free function. */
export const less = freeFunction('less');
/** torch.lessEqual: {@link Tensor.lessEqual | input.lessEqual(...)} as a free function. */
export const lessEqual = freeFunction('lessEqual');
/** torch.notEqual: {@link Tensor.notEqual | input.notEqual(...)} as a free function. */
export const notEqual = freeFunction('notEqual');
/** torch.negative: {@link Tensor.negative | input.negative(...)} as a free function. */
export const negative = freeFunction('negative');
/** torch.fix: {@link Tensor.fix | input.fix(...)} as a free function. */
export const fix = freeFunction('fix');
/** torch.sgn: {@link Tensor.sgn | input.sgn(...)} as a free function. */
export const sgn = freeFunction('sgn');
/** torch.ger: {@link Tensor.ger | input.ger(...)} as a free function. */
export const ger = freeFunction('ger');
/** torch.sinc: {@link Tensor.sinc | input.sinc(...)} as a free function. */
export const sinc = freeFunction('sinc');
/** torch.ndtr: {@link Tensor.ndtr | input.ndtr(...)} as a free function. */
export const ndtr = freeFunction('ndtr');
/** torch.entr: {@link Tensor.entr | input.entr(...)} as a free function. */
export const entr = freeFunction('entr');
/** torch.xlog1py: {@link Tensor.xlog1py | input.xlog1py(...)} as a free function. */
export const xlog1py = freeFunction('xlog1py');
/** torch.multigammaln: {@link Tensor.multigammaln | input.multigammaln(...)} as a free function. */
export const multigammaln = freeFunction('multigammaln');
/** torch.mvlgamma: {@link Tensor.mvlgamma | input.mvlgamma(...)} as a free function. */
export const mvlgamma = freeFunction('mvlgamma');
/** torch.igamma: {@link Tensor.igamma | input.igamma(...)} as a free function. */
export const igamma = freeFunction('igamma');
/** torch.igammac: {@link Tensor.igammac | input.igammac(...)} as a free function. */
export const igammac = freeFunction('igammac');
/** torch.logicalXor: {@link Tensor.logicalXor | input.logicalXor(...)} as a free function. */
export const logicalXor = freeFunction('logicalXor');
/** torch.fmax: {@link Tensor.fmax | input.fmax(...)} as a free function. */
export const fmax = freeFunction('fmax');
/** torch.fmin: {@link Tensor.fmin | input.fmin(...)} as a free function. */
export const fmin = freeFunction('fmin');
/** torch.copysign: {@link Tensor.copysign | input.copysign(...)} as a free function. */
export const copysign = freeFunction('copysign');
/** torch.floatPower: {@link Tensor.floatPower | input.floatPower(...)} as a free function. */
export const floatPower = freeFunction('floatPower');
/** torch.ldexp: {@link Tensor.ldexp | input.ldexp(...)} as a free function. */
export const ldexp = freeFunction('ldexp');
/** torch.frexp: {@link Tensor.frexp | input.frexp(...)} as a free function. */
export const frexp = freeFunction('frexp');
/** torch.argwhere: {@link Tensor.argwhere | input.argwhere(...)} as a free function. */
export const argwhere = freeFunction('argwhere');
/** torch.diagflat: {@link Tensor.diagflat | input.diagflat(...)} as a free function. */
export const diagflat = freeFunction('diagflat');
/** torch.msort: {@link Tensor.msort | input.msort(...)} as a free function. */
export const msort = freeFunction('msort');
/** torch.dist: {@link Tensor.dist | input.dist(...)} as a free function. */
export const dist = freeFunction('dist');
/** torch.vdot: {@link Tensor.vdot | input.vdot(...)} as a free function. */
export const vdot = freeFunction('vdot');
/** torch.renorm: {@link Tensor.renorm | input.renorm(...)} as a free function. */
export const renorm = freeFunction('renorm');
/** torch.positive: {@link Tensor.positive | input.positive(...)} as a free function. */
export const positive = freeFunction('positive');
/** torch.adjoint: {@link Tensor.adjoint | input.adjoint(...)} as a free function. */
export const adjoint = freeFunction('adjoint');
/** torch.isSigned: {@link Tensor.isSigned | input.isSigned(...)} as a free function. */
export const isSigned = freeFunction('isSigned');
/** torch.isComplex: {@link Tensor.isComplex | input.isComplex(...)} as a free function. */
export const isComplex = freeFunction('isComplex');
/** torch.isreal: {@link Tensor.isreal | input.isreal(...)} as a free function. */
export const isreal = freeFunction('isreal');
/** torch.isNonzero: {@link Tensor.isNonzero | input.isNonzero(...)} as a free function. */
export const isNonzero = freeFunction('isNonzero');
/** torch.isSameSize: {@link Tensor.isSameSize | input.isSameSize(...)} as a free function. */
export const isSameSize = freeFunction('isSameSize');
/** torch.masked_scatter: {@link Tensor.maskedScatter | input.maskedScatter(...)} as a free function. */
export const maskedScatter = freeFunction('maskedScatter');
/** torch.index_reduce: {@link Tensor.indexReduce | input.indexReduce(...)} as a free function. */
export const indexReduce = freeFunction('indexReduce');
/** torch.put: {@link Tensor.put | input.put(...)} as a free function. */
export const put = freeFunction('put');
/** torch.conj: {@link Tensor.conj | input.conj(...)} as a free function. */
export const conj = freeFunction('conj');
/** torch.resolveConj: {@link Tensor.resolveConj | input.resolveConj(...)} as a free function. */
export const resolveConj = freeFunction('resolveConj');
/** torch.resolveNeg: {@link Tensor.resolveNeg | input.resolveNeg(...)} as a free function. */
export const resolveNeg = freeFunction('resolveNeg');
/** torch.conjPhysical: {@link Tensor.conjPhysical | input.conjPhysical(...)} as a free function. */
export const conjPhysical = freeFunction('conjPhysical');
/** torch.isConj: {@link Tensor.isConj | input.isConj(...)} as a free function. */
export const isConj = freeFunction('isConj');
/** torch.isNeg: {@link Tensor.isNeg | input.isNeg(...)} as a free function. */
export const isNeg = freeFunction('isNeg');
/** torch.unsafeChunk: {@link Tensor.unsafeChunk | input.unsafeChunk(...)} as a free function. */
export const unsafeChunk = freeFunction('unsafeChunk');
/** torch.unsafeSplit: {@link Tensor.unsafeSplit | input.unsafeSplit(...)} as a free function. */
export const unsafeSplit = freeFunction('unsafeSplit');
/** torch.splitWithSizes: {@link Tensor.splitWithSizes | input.splitWithSizes(...)} as a free function. */
export const splitWithSizes = freeFunction('splitWithSizes');
