// The free-function form of a Tensor method (torch.sum(x, 1) beside x.sum(1)). The list of free
// functions is generated (src/ops/functional.generated.ts, from ops.def by scripts/gen-ops.ts), so
// every op exposed as a method has its free form, with the same arguments and options.
import { tensorArg } from '../args.js';
import type { DType } from '../dtype.js';
import type { Tensor } from '../tensor.js';

/** Methods whose free form exists: those of Tensor that return something, given by name. */
/** The names of Tensor's methods (what a free function can be made from). */
export type MethodName = {
  [K in keyof Tensor & string]: Tensor[K] extends (...args: never[]) => unknown ? K : never;
}[keyof Tensor & string];

/**
 * A method as a free function: `input` first, then the method's own arguments. Its types are the
 * method's (for an overloaded method, its most general signature).
 */
export type FreeFunction<K extends MethodName> = <D extends DType>(
  input: Tensor<D>,
  ...args: Parameters<Tensor<D>[K]>
) => ReturnType<Tensor<D>[K]>;

/**
 * @internal The free form of method `name`. It checks that `input` is a Tensor (so a wrong first
 * argument is a TensorError naming the function, not a TypeError) and calls the method.
 */
export function freeFunction<K extends MethodName>(name: K): FreeFunction<K> {
  const f = (input: Tensor, ...args: unknown[]): unknown => {
    const t = tensorArg(name, 'input', input);
    return (t[name] as (...a: unknown[]) => unknown).apply(t, args);
  };
  Object.defineProperty(f, 'name', { value: name });
  return f as FreeFunction<K>;
}
