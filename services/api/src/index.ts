export type { ApiDeps, LiveFeed } from './api-deps.js';
export { API_TITLE, API_VERSION, createApi } from './create-api.js';
export { type ApiEnv, readApiEnv } from './env.js';
export {
  type SignedReportFields,
  signedPayload,
  verifyReportSignature,
} from './integrity/report-signature.js';
export { startApi } from './start-api.js';
