/** A source of uniform random numbers in [0, 1). The model takes one in, so a seed replays a run exactly. */
export type Rng = () => number;

/** A small deterministic PRNG (mulberry32): fast, 32-bit state, good enough for simulated noise. */
export function createRng(seed: number): Rng {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * A 32-bit hash (FNV-1a) of the parts, to derive independent seeds per device (`hashSeed(seed, id)`) and
 * random numbers that depend only on their inputs, not on how many were drawn before.
 */
export function hashSeed(...parts: ReadonlyArray<string | number>): number {
  let hash = 0x811c9dc5;
  for (const part of parts) {
    const text = `${String(part)}\u0000`;
    for (let i = 0; i < text.length; i++) {
      hash ^= text.charCodeAt(i);
      hash = Math.imul(hash, 0x01000193) >>> 0;
    }
  }
  return hash >>> 0;
}

/** A uniform number in [0, 1) fixed by its inputs: the same slot of the same device always draws the same. */
export function hashUniform(...parts: ReadonlyArray<string | number>): number {
  return createRng(hashSeed(...parts))();
}

/** A standard normal variate (Box–Muller). */
export function gaussian(rng: Rng): number {
  const u = 1 - rng(); // (0, 1]: log(0) would be -Infinity
  const v = rng();
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
}
