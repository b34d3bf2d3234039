// The example programs' models (Iris MLP, shapes CNN, CIFAR CNN, LSTM forecaster), each with an
// input maker, for the jit and ONNX tests. The CIFAR model's batch-norm statistics are made
// non-trivial, so an exported BatchNormalization is really checked.
import { Net as CifarNet } from '../../examples/cifar10-cnn.js';
import { ShapesNet } from '../../examples/cnn-shapes.js';
import { IrisNet } from '../../examples/iris-mlp.js';
import { Forecaster } from '../../examples/lstm-sequence.js';
import { Net as MnistNet } from '../../examples/mnist-cnn.js';
import { manualSeed, randn, type nn, type Tensor } from '../../src/index.js';

/** The example models by name, each with an input maker (batch size -> input). */
export function exampleModels(): [string, nn.Module, (batch: number) => Tensor][] {
  manualSeed(3);
  const cifar = new CifarNet();
  for (const [k, b] of cifar.namedBuffers()) if (k.includes('running')) b.copy_(randn(b.shape).abs().add(0.5));
  return [
    ['Iris MLP', new IrisNet(), (b) => randn([b, 4])],
    ['shapes CNN', new ShapesNet(), (b) => randn([b, 1, 16, 16])],
    ['CIFAR CNN', cifar, (b) => randn([b, 3, 32, 32])],
    ['LSTM forecaster', new Forecaster(), (b) => randn([b, 20, 1])],
    ['MNIST CNN (PyTorch example)', new MnistNet(), (b) => randn([b, 1, 28, 28])],
  ];
}
