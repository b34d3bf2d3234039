// Handlers for `POST /predictions/{model}`, as TorchServe's: preprocess turns a request (an image's
// bytes, a JSON payload) into the model's input tensors, inference runs them (through the batcher by
// default), postprocess turns the outputs into the response. A handler module exports these as
// functions (or a default object holding them); each is optional. Without a module the default
// handler takes JSON nested arrays or a raw tensor body.
import { pathToFileURL } from 'node:url';

import { fail } from '../errors.js';
import { describe } from '../options.js';
import type * as TK from '../index.js';
import type { Tensor } from '../tensor.js';
import type { ModelConfig } from './config.js';
import { rawInput, toTensor } from './codec.js';
import { badRequest } from './errors.js';
import type { Signature } from './signature.js';

/** A /predictions request as a handler sees it. */
export interface HandlerRequest {
  /** The raw body. */
  body: Buffer;
  /** The Content-Type header ('' when absent). */
  contentType: string;
  /** The body parsed, when the Content-Type is JSON. */
  json?: unknown;
  headers: Record<string, string | string[] | undefined>;
}

/** What a handler gets besides the request: the model, its settings, and the way to run it. */
export interface HandlerContext {
  readonly model: string;
  readonly version: number;
  readonly config: Readonly<ModelConfig>;
  readonly signature: Signature;
  /** The config's free-form `parameters` (e.g. class names). */
  readonly parameters: Record<string, unknown>;
  /**
   * The server's tensorkit module: make tensors with `ctx.tk.tensor(...)` rather than importing
   * tensorkit from the handler's folder, which may resolve to another copy whose tensors the
   * server cannot take.
   */
  readonly tk: typeof TK;
  /**
   * Runs the model on input tensors by name (or one tensor for a one-input model), batched with
   * other requests; the tensors are checked against the signature (400 on a mismatch) and freed.
   * The outputs are freed after postprocess.
   */
  infer(inputs: Tensor | Record<string, Tensor>): Promise<Record<string, Tensor>>;
}

/**
 * A handler module's exports, each optional.
 *
 * @example
 * // handler.js in the model folder
 * export function preprocess(req, ctx) { return ctx.tk.tensor(req.json.pixels, { shape: [1, 1, 16, 16] }); }
 * export function postprocess(out, req, ctx) { return { label: ctx.parameters.classes[out.logits.argmax().item()] }; }
 */
export interface ServeHandler {
  /** Called once after the model loads. */
  initialize?(ctx: HandlerContext): void | Promise<void>;
  /** Request → the model's inputs. */
  preprocess?(
    req: HandlerRequest,
    ctx: HandlerContext,
  ): Tensor | Record<string, Tensor> | Promise<Tensor | Record<string, Tensor>>;
  /** Inputs → outputs (default: `ctx.infer`). */
  inference?(inputs: Tensor | Record<string, Tensor>, ctx: HandlerContext): Promise<Record<string, Tensor>>;
  /** Outputs → the response: a Buffer or Uint8Array (sent as bytes), a string, or a JSON value. */
  postprocess?(outputs: Record<string, Tensor>, req: HandlerRequest, ctx: HandlerContext): unknown;
}

const HOOKS = ['initialize', 'preprocess', 'inference', 'postprocess'] as const;

/** Loads a handler module (.js/.mjs/.cjs, or .ts through tsx when it is installed). */
export async function loadHandler(file: string): Promise<ServeHandler> {
  const url = pathToFileURL(file).href;
  let mod: Record<string, unknown>;
  try {
    if (/\.[cm]?ts$/.test(file)) {
      let tsImport: ((u: string, parent: string) => Promise<unknown>) | undefined;
      try {
        ({ tsImport } = (await import('tsx/esm/api' as string)) as { tsImport: typeof tsImport });
      } catch {
        fail('IO_ERROR', `serve: handler '${file}' is TypeScript; install tsx (npm i -D tsx) or compile it to .js`);
      }
      mod = (await tsImport!(url, import.meta.url)) as Record<string, unknown>;
    } else mod = (await import(url)) as Record<string, unknown>;
  } catch (e) {
    if ((e as { code?: string }).code === 'IO_ERROR') throw e;
    fail('IO_ERROR', `serve: cannot load handler '${file}': ${(e as Error).message}`);
  }
  const src = (mod.default && typeof mod.default === 'object' ? mod.default : mod) as Record<string, unknown>;
  return checkHandler(`serve: handler '${file}'`, src, 'IO_ERROR');
}

/** The hooks of `src` (each a function, at least one), as a handler; `code` for a defect. */
export function checkHandler(
  where: string,
  src: Record<string, unknown>,
  code: 'IO_ERROR' | 'INVALID_ARGUMENT',
): ServeHandler {
  const h: ServeHandler = {};
  for (const k of HOOKS) {
    if (src[k] === undefined) continue;
    if (typeof src[k] !== 'function') fail(code, `${where}: '${k}' must be a function, got ${describe(src[k])}`);
    (h as Record<string, unknown>)[k] = src[k];
  }
  if (!HOOKS.some((k) => h[k])) fail(code, `${where} has none of ${HOOKS.join(', ')}`);
  return h;
}

/** The shape of a rectangular nested array (a 400 naming the input when it is ragged). */
function nestedShape(name: string, v: unknown): number[] {
  const shape: number[] = [];
  for (let x = v; Array.isArray(x) && shape.length <= 32; x = x[0]) shape.push(x.length);
  const check = (x: unknown, d: number): void => {
    if (d === shape.length) {
      if (Array.isArray(x)) badRequest(`input '${name}' is a ragged nested array`);
      return;
    }
    if (!Array.isArray(x) || x.length !== shape[d]) badRequest(`input '${name}' is a ragged nested array`);
    if (d + 1 < shape.length || Array.isArray(x[0])) for (const y of x) check(y, d + 1);
  };
  check(v, 0);
  return shape;
}

/** A one-sample flag per request: the default handler adds a batch dim and takes it off again. */
const SINGLE = new WeakMap<HandlerRequest, boolean>();

/**
 * The default handler: a JSON nested array (one input) or an object of them by input name, with or
 * without the batch dim; or a raw `application/octet-stream` body of the one input's rows. Answers
 * with nested arrays: one output's, or an object by output name.
 */
export const defaultHandler: ServeHandler = {
  preprocess(req, ctx) {
    const sig = ctx.signature;
    if (req.json === undefined) {
      if (sig.inputs.length !== 1)
        badRequest(`model '${ctx.model}' has ${sig.inputs.length} inputs: send a JSON object of them by name`);
      const s = sig.inputs[0];
      return toTensor(rawInput(req.body, s), s);
    }
    const j = req.json;
    const byName: Record<string, unknown> =
      Array.isArray(j) || typeof j === 'number'
        ? sig.inputs.length === 1
          ? { [sig.inputs[0].name]: j }
          : badRequest(`model '${ctx.model}' has ${sig.inputs.length} inputs: send a JSON object of them by name`)
        : j && typeof j === 'object'
          ? (j as Record<string, unknown>)
          : badRequest(`expected a JSON array or an object of arrays by input name, got ${describe(j)}`);
    const out: Record<string, Tensor> = {};
    let single: boolean | undefined;
    try {
      for (const s of sig.inputs) {
        if (!(s.name in byName)) badRequest(`missing input '${s.name}'`);
        const v = byName[s.name];
        const shape = nestedShape(s.name, v);
        const one = sig.batched && shape.length === s.shape.length - 1;
        if (single !== undefined && single !== one)
          badRequest('give every input with its batch dim, or every input without');
        single = one;
        out[s.name] = toTensor(
          { name: s.name, datatype: s.datatype, shape: one ? [1, ...shape] : shape, data: Array.isArray(v) ? v : [v] },
          s,
        );
      }
      for (const k of Object.keys(byName))
        if (!sig.inputs.some((s) => s.name === k))
          badRequest(`unknown input '${k}'; the model's inputs are ${sig.inputs.map((s) => `'${s.name}'`).join(', ')}`);
    } catch (e) {
      for (const t of Object.values(out)) t.dispose();
      throw e;
    }
    SINGLE.set(req, single === true);
    return out;
  },
  postprocess(outputs, req) {
    const single = SINGLE.get(req) === true;
    const value = (t: Tensor) => {
      const a = t.toArray();
      return single && Array.isArray(a) ? a[0] : a;
    };
    const names = Object.keys(outputs);
    return names.length === 1 ? value(outputs[names[0]]) : Object.fromEntries(names.map((n) => [n, value(outputs[n])]));
  },
};
