// Statistics for comparing numbers: intervals of accuracies, metrics over k samples, paired tests.
export { formatProportion, normalQuantileTwoSided, wilson, type Proportion } from './proportion.js';
export { avgAtK, majAtK, majorityCorrect, passAtK, passAtKCurve, type AvgAtK } from './sampling.js';
export { binomialHalfCdf, formatDifference, formatP, mcnemarExact, pairedDifference, type McNemar, type PairedDifference } from './paired.js';
