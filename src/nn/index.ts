// tensorkit.nn: modules and nn.functional.
export * as functional from './functional.js';
export { Module, Parameter, isParameter } from './module.js';
export * from './layers.js';
export * from './containers.js';
export * as init from './init.js';
export { CrossEntropyLoss, NLLLoss, MSELoss, L1Loss, SmoothL1Loss, BCELoss, BCEWithLogitsLoss } from './losses.js';
export * as grad from './grad.js';
export * as utils from './utils.js';
export { RNN, LSTM, GRU, type RNNOptions } from './rnn.js';
