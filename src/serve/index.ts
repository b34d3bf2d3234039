/**
 * Model serving: `serve` starts an HTTP server for `jit` graphs and ONNX files, with KServe v2 and
 * TorchServe-style APIs, dynamic batching off the event loop, Prometheus metrics and a management
 * API; `npx tensorkit serve` does the same from the command line.
 *
 * @example
 * const server = await serve({ modelRepository: './models', port: 8080 });
 * @module serve
 */
export { serve, type ModelServer, type ModelStatus, type ServeOptions } from './server.js';
export type { ModelConfig, TensorConfig } from './config.js';
export type { ModelSource } from './model.js';
export type { HandlerContext, HandlerRequest, ServeHandler } from './handler.js';
export { HttpError } from './errors.js';
export type { Signature, TensorSpec } from './signature.js';
