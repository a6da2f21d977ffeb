// Every workflow the worker registers. The worker bundles this file.
export { selfCheck } from './self-check';
export { approval } from './approval/workflow';
export { incident } from './incident/workflow';
export { holdBoard } from './holds/board';
export { breakGlassReview } from './review/workflow';
export { freeze } from './freeze/workflow';
