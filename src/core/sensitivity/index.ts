/** Input-sensitivity flip test: scores, rankings, evaluators, the test itself and its summary. */
export * from './scores';
export * from './evaluator';
export * from './flipTest';
export * from './summary';
