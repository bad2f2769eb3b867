/** The graph builder, autodiff, losses and optimizers: everything needed to write a train step. */
export { type Attr, GraphError, type GraphNode, Value } from './core';
export { Graph, type DropoutOptions, type GemmOptions, type SliceSpec } from './ops';
export { gradients, reduceToShape } from './autodiff';
export { softmaxCrossEntropy, type CrossEntropy } from './losses';
export { applyOptimizer, clipByGlobalNorm, optimizerDefaults, stateSlots, type OptimizerConfig, type StepInputs, OPTIMIZER_KINDS } from './optimizers';
export { toModelBytes, OPSET, IR_VERSION, type ModelOptions } from './serialize';
export * from './types';
