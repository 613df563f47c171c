import { hashUniform } from './random.js';

/**
 * Door openings of a fixed unit (cabinet, cold room): each slot of `slotMs` holds at most one opening,
 * with the given probability, at a random moment and for a random time. The draw depends only on the
 * device's door seed and the slot, so the schedule is the same however often the device samples.
 */
export interface DoorSchedule {
  slotMs: number;
  probability: number;
  minOpenMs: number;
  maxOpenMs: number;
}

export function isDoorOpen(schedule: DoorSchedule, doorSeed: number, tsMs: number): boolean {
  const slot = Math.floor(tsMs / schedule.slotMs);
  if (hashUniform(doorSeed, slot, 'opens') >= schedule.probability) return false;
  const openMs =
    schedule.minOpenMs + hashUniform(doorSeed, slot, 'length') * (schedule.maxOpenMs - schedule.minOpenMs);
  // The opening fits inside its slot, so a slot never needs to look at the one before.
  const startMs = slot * schedule.slotMs + hashUniform(doorSeed, slot, 'start') * (schedule.slotMs - openMs);
  return tsMs >= startMs && tsMs < startMs + openMs;
}
