/** Statistics for the flip test: normal distribution, descriptive statistics, hypothesis tests. */
export * from './normal';
export * from './descriptive';
export * from './tests';
export * from './studentT';
