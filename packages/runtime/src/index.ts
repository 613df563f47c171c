export { type RunServiceOptions, runService } from './run-service.js';
