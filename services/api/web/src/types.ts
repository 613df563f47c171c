import type { ComplianceReport } from '@coldchain/coldchain';
import type {
  alertCommentSchema,
  alertSchema,
  custodyLegSchema,
  deviceStateSchema,
  historyPointSchema,
  historyWindowSchema,
  issuedShareLinkSchema,
  receiptSchema,
  shipmentSchema,
  whoAmISchema,
} from '@coldchain/schema';
import type { z } from 'zod';

// The shapes the API answers with, from the schemas it is generated from: no second copy.
export type Alert = z.infer<typeof alertSchema>;
export type AlertComment = z.infer<typeof alertCommentSchema>;
export type Shipment = z.infer<typeof shipmentSchema>;
export type CustodyLeg = z.infer<typeof custodyLegSchema>;
export type DeviceState = z.infer<typeof deviceStateSchema>;
export type HistoryPoint = z.infer<typeof historyPointSchema>;
export type HistoryWindow = z.infer<typeof historyWindowSchema>;
export type IssuedShareLink = z.infer<typeof issuedShareLinkSchema>;
export type Receipt = z.infer<typeof receiptSchema>;
export type WhoAmI = z.infer<typeof whoAmISchema>;
export type Report = ComplianceReport;

export interface Page<T> {
  items: T[];
  nextCursor: string | null;
}

export interface ProfileSummary {
  id: string;
  name: string;
  rangeC: { lowC: number | null; highC: number | null };
  criticalC: { lowC: number | null; highC: number | null };
  humidityPct: { lowPct: number | null; highPct: number | null } | null;
  maxGapMs: number;
}
