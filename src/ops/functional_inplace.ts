// torch's in-place free functions (torch.abs_(x), torch.clamp_(x, 0, 1), ...): each is its Tensor
// method (x.abs_()) with `input` first, checked to be a Tensor, and returns input. PyTorch offers
// them beside the out-of-place forms; code ported from it calls them.
import type { Tensor } from '../tensor.js';
import { freeFunction } from './free.js';

/** torch.abs_: {@link Tensor.abs_ | input.abs_(...)} as a free function (in place; returns input). */
export const abs_ = freeFunction('abs_');
/** torch.acos_: {@link Tensor.acos_ | input.acos_(...)} as a free function (in place; returns input). */
export const acos_ = freeFunction('acos_');
/** torch.acosh_: {@link Tensor.acosh_ | input.acosh_(...)} as a free function (in place; returns input). */
export const acosh_ = freeFunction('acosh_');
/** torch.addmv_: {@link Tensor.addmv_ | input.addmv_(...)} as a free function (in place; returns input). */
export const addmv_ = freeFunction('addmv_');
/** torch.arccos_: {@link Tensor.arccos_ | input.arccos_(...)} as a free function (in place; returns input). */
export const arccos_ = freeFunction('arccos_');
/** torch.arccosh_: {@link Tensor.arccosh_ | input.arccosh_(...)} as a free function (in place; returns input). */
export const arccosh_ = freeFunction('arccosh_');
/** torch.arcsin_: {@link Tensor.arcsin_ | input.arcsin_(...)} as a free function (in place; returns input). */
export const arcsin_ = freeFunction('arcsin_');
/** torch.arcsinh_: {@link Tensor.arcsinh_ | input.arcsinh_(...)} as a free function (in place; returns input). */
export const arcsinh_ = freeFunction('arcsinh_');
/** torch.arctan_: {@link Tensor.arctan_ | input.arctan_(...)} as a free function (in place; returns input). */
export const arctan_ = freeFunction('arctan_');
/** torch.arctanh_: {@link Tensor.arctanh_ | input.arctanh_(...)} as a free function (in place; returns input). */
export const arctanh_ = freeFunction('arctanh_');
/** torch.asin_: {@link Tensor.asin_ | input.asin_(...)} as a free function (in place; returns input). */
export const asin_ = freeFunction('asin_');
/** torch.asinh_: {@link Tensor.asinh_ | input.asinh_(...)} as a free function (in place; returns input). */
export const asinh_ = freeFunction('asinh_');
/** torch.atan_: {@link Tensor.atan_ | input.atan_(...)} as a free function (in place; returns input). */
export const atan_ = freeFunction('atan_');
/** torch.atanh_: {@link Tensor.atanh_ | input.atanh_(...)} as a free function (in place; returns input). */
export const atanh_ = freeFunction('atanh_');
/** torch.ceil_: {@link Tensor.ceil_ | input.ceil_(...)} as a free function (in place; returns input). */
export const ceil_ = freeFunction('ceil_');
/** torch.clamp_: {@link Tensor.clamp_ | input.clamp_(...)} as a free function (in place; returns input). */
export const clamp_ = freeFunction('clamp_');
/** torch.clampMax_: {@link Tensor.clampMax_ | input.clampMax_(...)} as a free function (in place; returns input). */
export const clampMax_ = freeFunction('clampMax_');
/** torch.clampMin_: {@link Tensor.clampMin_ | input.clampMin_(...)} as a free function (in place; returns input). */
export const clampMin_ = freeFunction('clampMin_');
/** torch.clip_: {@link Tensor.clip_ | input.clip_(...)} as a free function (in place; returns input). */
export const clip_ = freeFunction('clip_');
/** torch.cos_: {@link Tensor.cos_ | input.cos_(...)} as a free function (in place; returns input). */
export const cos_ = freeFunction('cos_');
/** torch.cosh_: {@link Tensor.cosh_ | input.cosh_(...)} as a free function (in place; returns input). */
export const cosh_ = freeFunction('cosh_');
/** torch.deg2rad_: {@link Tensor.deg2rad_ | input.deg2rad_(...)} as a free function (in place; returns input). */
export const deg2rad_ = freeFunction('deg2rad_');
/** torch.erf_: {@link Tensor.erf_ | input.erf_(...)} as a free function (in place; returns input). */
export const erf_ = freeFunction('erf_');
/** torch.erfc_: {@link Tensor.erfc_ | input.erfc_(...)} as a free function (in place; returns input). */
export const erfc_ = freeFunction('erfc_');
/** torch.exp2_: {@link Tensor.exp2_ | input.exp2_(...)} as a free function (in place; returns input). */
export const exp2_ = freeFunction('exp2_');
/** torch.exp_: {@link Tensor.exp_ | input.exp_(...)} as a free function (in place; returns input). */
export const exp_ = freeFunction('exp_');
/** torch.expm1_: {@link Tensor.expm1_ | input.expm1_(...)} as a free function (in place; returns input). */
export const expm1_ = freeFunction('expm1_');
/** torch.fill_: {@link Tensor.fill_ | input.fill_(...)} as a free function (in place; returns input). */
export const fill_ = freeFunction('fill_');
/** torch.fix_: {@link Tensor.fix_ | input.fix_(...)} as a free function (in place; returns input). */
export const fix_ = freeFunction('fix_');
/** torch.floor_: {@link Tensor.floor_ | input.floor_(...)} as a free function (in place; returns input). */
export const floor_ = freeFunction('floor_');
/** torch.frac_: {@link Tensor.frac_ | input.frac_(...)} as a free function (in place; returns input). */
export const frac_ = freeFunction('frac_');
/** torch.gcd_: {@link Tensor.gcd_ | input.gcd_(...)} as a free function (in place; returns input). */
export const gcd_ = freeFunction('gcd_');
/** torch.i0_: {@link Tensor.i0_ | input.i0_(...)} as a free function (in place; returns input). */
export const i0_ = freeFunction('i0_');
/** torch.indexPut_: {@link Tensor.indexPut_ | input.indexPut_(...)} as a free function (in place; returns input). */
export const indexPut_ = freeFunction('indexPut_');
/** torch.lcm_: {@link Tensor.lcm_ | input.lcm_(...)} as a free function (in place; returns input). */
export const lcm_ = freeFunction('lcm_');
/** torch.ldexp_: {@link Tensor.ldexp_ | input.ldexp_(...)} as a free function (in place; returns input). */
export const ldexp_ = freeFunction('ldexp_');
/** torch.log10_: {@link Tensor.log10_ | input.log10_(...)} as a free function (in place; returns input). */
export const log10_ = freeFunction('log10_');
/** torch.log1p_: {@link Tensor.log1p_ | input.log1p_(...)} as a free function (in place; returns input). */
export const log1p_ = freeFunction('log1p_');
/** torch.log2_: {@link Tensor.log2_ | input.log2_(...)} as a free function (in place; returns input). */
export const log2_ = freeFunction('log2_');
/** torch.log_: {@link Tensor.log_ | input.log_(...)} as a free function (in place; returns input). */
export const log_ = freeFunction('log_');
/** torch.logit_: {@link Tensor.logit_ | input.logit_(...)} as a free function (in place; returns input). */
export const logit_ = freeFunction('logit_');
/** torch.nanToNum_: {@link Tensor.nanToNum_ | input.nanToNum_(...)} as a free function (in place; returns input). */
export const nanToNum_ = freeFunction('nanToNum_');
/** torch.neg_: {@link Tensor.neg_ | input.neg_(...)} as a free function (in place; returns input). */
export const neg_ = freeFunction('neg_');
/** torch.negative_: {@link Tensor.negative_ | input.negative_(...)} as a free function (in place; returns input). */
export const negative_ = freeFunction('negative_');
/** torch.rad2deg_: {@link Tensor.rad2deg_ | input.rad2deg_(...)} as a free function (in place; returns input). */
export const rad2deg_ = freeFunction('rad2deg_');
/** torch.reciprocal_: {@link Tensor.reciprocal_ | input.reciprocal_(...)} as a free function (in place; returns input). */
export const reciprocal_ = freeFunction('reciprocal_');
/** torch.relu_: {@link Tensor.relu_ | input.relu_(...)} as a free function (in place; returns input). */
export const relu_ = freeFunction('relu_');
/** torch.round_: {@link Tensor.round_ | input.round_(...)} as a free function (in place; returns input). */
export const round_ = freeFunction('round_');
/** torch.rsqrt_: {@link Tensor.rsqrt_ | input.rsqrt_(...)} as a free function (in place; returns input). */
export const rsqrt_ = freeFunction('rsqrt_');
/** torch.sigmoid_: {@link Tensor.sigmoid_ | input.sigmoid_(...)} as a free function (in place; returns input). */
export const sigmoid_ = freeFunction('sigmoid_');
/** torch.sin_: {@link Tensor.sin_ | input.sin_(...)} as a free function (in place; returns input). */
export const sin_ = freeFunction('sin_');
/** torch.sinc_: {@link Tensor.sinc_ | input.sinc_(...)} as a free function (in place; returns input). */
export const sinc_ = freeFunction('sinc_');
/** torch.sinh_: {@link Tensor.sinh_ | input.sinh_(...)} as a free function (in place; returns input). */
export const sinh_ = freeFunction('sinh_');
/** torch.sqrt_: {@link Tensor.sqrt_ | input.sqrt_(...)} as a free function (in place; returns input). */
export const sqrt_ = freeFunction('sqrt_');
/** torch.square_: {@link Tensor.square_ | input.square_(...)} as a free function (in place; returns input). */
export const square_ = freeFunction('square_');
/** torch.tan_: {@link Tensor.tan_ | input.tan_(...)} as a free function (in place; returns input). */
export const tan_ = freeFunction('tan_');
/** torch.tanh_: {@link Tensor.tanh_ | input.tanh_(...)} as a free function (in place; returns input). */
export const tanh_ = freeFunction('tanh_');
/** torch.trunc_: {@link Tensor.trunc_ | input.trunc_(...)} as a free function (in place; returns input). */
export const trunc_ = freeFunction('trunc_');
/** torch.xlogy_: {@link Tensor.xlogy_ | input.xlogy_(...)} as a free function (in place; returns input). */
export const xlogy_ = freeFunction('xlogy_');
/** torch.zero_: {@link Tensor.zero_ | input.zero_(...)} as a free function (in place; returns input). */
export const zero_ = freeFunction('zero_');
