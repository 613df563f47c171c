export { alertKey } from './alert-key.js';
export type { ComplianceReason, ComplianceSummary } from './compliance.js';
export { type Evaluation, evaluate } from './engine.js';
export { type MeasuredReading, toEngineReading } from './engine-reading.js';
export type { EvaluationWindow } from './evaluation-window.js';
export type { Excursion, ExcursionRule, Peak, Severity } from './excursion.js';
export { applyExcursionChanges, diffExcursions, type ExcursionChange } from './excursion-changes.js';
export {
  MKT_ACTIVATION_K,
  meanKineticTemperature,
  timeWeightedMkt,
  type WeightedTemperature,
} from './mkt.js';
export {
  type Profile,
  ProfileSchema,
  ProfilesFileSchema,
  parseProfiles,
  type TemperatureBoundary,
  TemperatureBoundarySchema,
  type TemperatureRange,
  temperatureRange,
} from './profile.js';
export type { Reading } from './reading.js';
export { buildComplianceReport } from './report/build-report.js';
export {
  canonicalLine,
  canonicalReadings,
  orderCanonicalLines,
  readingsDigest,
} from './report/canonical-readings.js';
export { CHART_MAX_POINTS } from './report/chart.js';
export type {
  BoundaryTime,
  BudgetUse,
  ChartExcursion,
  ChartHandover,
  ChartPoint,
  ChartSpan,
  ComplianceReport,
  DataCompleteness,
  DataGap,
  JudgedLeg,
  JudgedStatistics,
  LegCompleteness,
  ReportAlert,
  ReportAlertInput,
  ReportChart,
  ReportCustodyChain,
  ReportCustodyLeg,
  ReportEarlyWarning,
  ReportEvidence,
  ReportExcursion,
  ReportInput,
  ReportLegFinding,
  ReportLegInput,
  ReportProfile,
  ReportReceipt,
  ReportShipment,
  ReportShipmentInput,
  ReportShipmentStatus,
  ReportUnloading,
  SensorStatistics,
  TimedValue,
  Verdict,
  VerdictReason,
  VerdictReasonCode,
  VerdictStatus,
} from './report/report-model.js';
export {
  evaluateLegs,
  type LegCompliance,
  type LegExcursion,
  type LegReadings,
  type ShipmentExcursions,
} from './shipment-excursions.js';
export {
  canIngest,
  createEngineState,
  type EngineOptions,
  type EngineState,
  type IngestResult,
  ingest,
  trimHistory,
} from './streaming-engine.js';
