import { z } from 'zod';
import { deviceIdSchema, shipmentIdSchema } from '../ids.js';
import {
  cursorSchema,
  instantSchema,
  limitSchema,
  noteSchema,
  pageSchema,
  partyNameSchema,
} from './common.js';

export const SHIPMENT_STATUS_VALUES = ['planned', 'in_transit', 'delivered', 'closed', 'cancelled'] as const;
export const shipmentStatusSchema = z.enum(SHIPMENT_STATUS_VALUES).meta({
  id: 'ShipmentStatus',
  description: '`planned → in_transit → delivered → closed`, or `cancelled` from planned or in_transit',
});

const placeSchema = z.string().trim().min(1).max(200);
const msOrNull = z.number().int().nullable();

export const shipmentSchema = z
  .object({
    id: shipmentIdSchema,
    reference: z.string().meta({ description: "The shipper's own reference (waybill, order)" }),
    profileId: z.string().meta({ description: 'Cold-chain profile: the limits the goods are judged by' }),
    shipper: z.string(),
    consignee: z.string(),
    goods: z.string(),
    description: z.string(),
    origin: z.string().nullable(),
    destination: z.string().nullable(),
    status: shipmentStatusSchema,
    plannedDepartureMs: msOrNull,
    plannedArrivalMs: msOrNull,
    actualDepartureMs: msOrNull,
    actualArrivalMs: msOrNull,
    createdAtMs: z.number().int(),
    updatedAtMs: z.number().int(),
  })
  .meta({ id: 'Shipment', description: 'Goods under one cold-chain profile, from a shipper to a consignee' });

export const newShipmentSchema = z
  .object({
    id: shipmentIdSchema,
    reference: z.string().trim().min(1).max(100).optional(),
    profileId: z.string().min(1).max(64),
    shipper: partyNameSchema.optional().meta({
      description: "Required for admins and operators; a shipper's token always creates its own",
    }),
    consignee: partyNameSchema,
    goods: z.string().trim().min(1).max(500),
    description: z.string().max(2000).optional(),
    origin: placeSchema.optional(),
    destination: placeSchema.optional(),
    plannedDepartureAt: instantSchema.optional(),
    plannedArrivalAt: instantSchema.optional(),
  })
  .strict()
  .meta({ id: 'NewShipment' });

export const shipmentListQuerySchema = z.object({
  status: shipmentStatusSchema.optional(),
  shipper: z.string().max(200).optional(),
  consignee: z.string().max(200).optional(),
  profileId: z.string().max(64).optional(),
  from: instantSchema.optional().meta({ description: 'Journeys overlapping [from, to)' }),
  to: instantSchema.optional(),
  cursor: cursorSchema.optional(),
  limit: limitSchema,
});

export const shipmentPageSchema = pageSchema(shipmentSchema, 'ShipmentPage');

export const statusChangeSchema = z
  .object({
    status: shipmentStatusSchema,
    at: instantSchema.optional().meta({ description: 'When it happened; default now' }),
  })
  .strict()
  .meta({ id: 'StatusChange' });

export const shipmentIdParamSchema = z.object({ id: shipmentIdSchema });

export const custodyLegSchema = z
  .object({
    id: z.number().int(),
    shipmentId: z.string(),
    deviceId: z.string(),
    holder: z.string(),
    fromMs: z.number().int(),
    toMs: msOrNull,
    handedOverBy: z.string().nullable(),
    handoverTempC: z.number().nullable(),
    place: z.string().nullable(),
    note: z.string().nullable(),
    recordedAtMs: z.number().int(),
    endedBy: z.string().nullable(),
    endTempC: z.number().nullable(),
    endPlace: z.string().nullable(),
    endNote: z.string().nullable(),
  })
  .meta({
    id: 'CustodyLeg',
    description:
      "One custodian's stretch (GB/T 40956-2021 handover): the device that measured it, the holder, [fromMs, toMs)",
  });

const handoverTempSchema = z.number().min(-100).max(100);

export const handoverSchema = z
  .object({
    holder: partyNameSchema,
    deviceId: deviceIdSchema,
    at: instantSchema.meta({ description: 'When the goods changed hands (event time; may be in the past)' }),
    handedOverBy: partyNameSchema.optional(),
    tempC: handoverTempSchema.optional().meta({ description: 'Temperature measured at handover' }),
    place: placeSchema.optional(),
    note: noteSchema.optional(),
  })
  .strict()
  .meta({ id: 'Handover' });

export const unloadSchema = z
  .object({
    at: instantSchema,
    handedOverBy: partyNameSchema.optional(),
    tempC: handoverTempSchema.optional(),
    place: placeSchema.optional(),
    note: noteSchema.optional(),
  })
  .strict()
  .meta({ id: 'Unload', description: 'The goods unloaded: ends the last custody leg' });

export const custodyChainSchema = z
  .object({ shipmentId: z.string(), legs: z.array(custodyLegSchema) })
  .meta({ id: 'CustodyChain' });
