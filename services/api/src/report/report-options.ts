import { DEFAULT_REPORT_LANG, DEFAULT_REPORT_TIME_ZONE, type ReportLang } from './report-labels.js';

/**
 * The signature block of an issued report. Signing is done elsewhere; a renderer shows what it is given, and
 * says "not signed" when it is given nothing.
 */
export interface ReportIntegrity {
  /** The digest the signature covers, hex. */
  digest?: string;
  /** Ed25519 signature, base64 or hex as issued. */
  signature?: string;
  revision?: number;
  /** Where the server's public key is published. */
  keyUrl?: string;
}

export interface ReportRenderOptions {
  /** Default `zh-CN`. */
  lang?: ReportLang;
  /** IANA zone of the local times (each is followed by UTC). Default `Asia/Shanghai`. */
  timeZone?: string;
  /** Where anyone can check the report; printed with a QR code in the HTML and PDF. */
  verifyUrl?: string;
  integrity?: ReportIntegrity;
}

export interface ResolvedRenderOptions {
  lang: ReportLang;
  timeZone: string;
  verifyUrl: string | null;
  integrity: ReportIntegrity;
}

export function resolveRenderOptions(options: ReportRenderOptions = {}): ResolvedRenderOptions {
  return {
    lang: options.lang ?? DEFAULT_REPORT_LANG,
    timeZone: options.timeZone ?? DEFAULT_REPORT_TIME_ZONE,
    verifyUrl: options.verifyUrl ?? null,
    integrity: options.integrity ?? {},
  };
}
