/**
 * torch.nn.utils.rnn's names, for code ported from PyTorch: padSequence, the packing functions
 * and PackedSequence (the same functions nn.utils has).
 * @example const packed = nn.utils.rnn.packPaddedSequence(x, lengths, { enforceSorted: false })
 * @module rnn
 */
export {
  PackedSequence,
  packPaddedSequence,
  padPackedSequence,
  packSequence,
  padSequence,
  unpackSequence,
  unpadSequence,
} from './packed.js';
