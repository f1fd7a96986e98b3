/** The design-guide analyzer: `lintModel` for an in-memory .tflite Model, `lintKerasFile` for .h5/.keras. */
export { lintGraph, lintModel, bconvWork, bconvGeometry, outsideTaps } from './lint.js';
export type { CheckId, LintFinding, LintFix, LintLayer, LintReport, LintSummary, Work, BconvGeometry, BconvWork } from './lint.js';
export { lintKerasFile } from './keras.js';
export { formatLintReport, lintReportJson } from './report.js';
export { graphFromModel, graphFromIr } from './graph.js';
export type { LintGraph, LintOp, LintTensor } from './graph.js';
