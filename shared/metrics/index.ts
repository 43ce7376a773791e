/** The evaluation API: one call for the report, one for its HTML page. */
export { evaluate, evaluateOptionsSchema, type EvaluateOptions } from "./evaluate.ts";
export { renderHtmlReport, type RenderOptions } from "./html/render.ts";
export { REPORT_VERSION, reportSchema, type Report } from "./report-schema.ts";
export { qualityReport, type QualityResult } from "./quality.ts";
export { privacy, type PrivacyResult } from "./privacy.ts";
export { mlEfficacy, type MlEfficacyResult } from "./ml/ml-efficacy.ts";
export { diagnostics, type DiagnosticsResult } from "./diagnostics.ts";
export { DcrIndex } from "./dcr.ts";
