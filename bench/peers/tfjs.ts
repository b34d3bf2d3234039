// The optional TensorFlow.js peer, on its pure-JS 'cpu' backend and its 'wasm' backend (XNNPACK).
// Absent the packages, it reports itself missing and the bench goes on.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Tf = any;

export async function loadTfjs(): Promise<{ tf: Tf; label: string; backends: string[] } | string> {
  let tf: Tf;
  try {
    tf = await import('@tensorflow/tfjs' as string);
  } catch {
    return '@tensorflow/tfjs not installed (npm i --no-save @tensorflow/tfjs @tensorflow/tfjs-backend-wasm to compare)';
  }
  const backends = ['cpu'];
  try {
    await import('@tensorflow/tfjs-backend-wasm' as string);
    if (await tf.setBackend('wasm')) backends.push('wasm');
  } catch {
    /* the wasm backend is optional too */
  }
  await tf.setBackend('cpu');
  return { tf, label: `@tensorflow/tfjs ${tf.version.tfjs}`, backends };
}
