/**
 * Seeded randomness for the simulation: every stream is derived from the study seed and a label
 * (run, iteration, purpose), so any run can be recomputed on its own, in any worker, in any order.
 */
import { murmur3 } from '../core/hash';

/** A 32-bit seed for a named stream under a root seed, e.g. `streamSeed(7, 'run', 3, 'data')`. */
export function streamSeed(root: number, ...parts: (string | number)[]): number {
  return murmur3(parts.join('/'), root >>> 0);
}

/**
 * xoshiro128** (period 2^128 - 1): fast, well distributed, and unlike a 32-bit-state generator it
 * does not cycle within the 20 million normals a full-size data set needs.
 */
export class Rng {
  private a: number;
  private b: number;
  private c: number;
  private d: number;
  private spare = NaN;

  constructor(seed: number) {
    // splitmix32 to spread the seed over the four state words (never all zero).
    let s = seed >>> 0;
    const next = (): number => {
      s = (s + 0x9e3779b9) >>> 0;
      let z = s;
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
      return (z ^ (z >>> 16)) >>> 0;
    };
    this.a = next(); this.b = next(); this.c = next(); this.d = next() | 1;
  }

  /** Uniform 32-bit unsigned integer. */
  nextUint32(): number {
    const result = Math.imul(rotl(Math.imul(this.b, 5), 7), 9) >>> 0;
    const t = this.b << 9;
    this.c ^= this.a; this.d ^= this.b; this.b ^= this.c; this.a ^= this.d;
    this.c ^= t;
    this.d = rotl(this.d, 11);
    return result;
  }

  /** Uniform in [0, 1) with 53 random bits. */
  uniform(): number {
    return ((this.nextUint32() >>> 5) * 67108864 + (this.nextUint32() >>> 6)) / 9007199254740992;
  }

  /** Uniform integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.uniform() * n);
  }

  /** Standard normal (Marsaglia's polar method; the second value of each pair is kept). */
  normal(): number {
    if (!Number.isNaN(this.spare)) {
      const v = this.spare;
      this.spare = NaN;
      return v;
    }
    let u: number, v: number, s: number;
    do {
      u = 2 * this.uniform() - 1;
      v = 2 * this.uniform() - 1;
      s = u * u + v * v;
    } while (s >= 1 || s === 0);
    const m = Math.sqrt((-2 * Math.log(s)) / s);
    this.spare = v * m;
    return u * m;
  }

  /**
   * Fills `out` with independent N(0, sd^2) values: exactly the values of `out.length` calls of
   * `normal() * sd`, from a loop with the generator state in locals (a full-size data set takes
   * 20 million normals, and the method calls cost twice the arithmetic).
   */
  fillNormal(out: Float32Array | Float64Array, sd = 1): void {
    let i = 0;
    const n = out.length;
    if (n > 0 && !Number.isNaN(this.spare)) {
      out[i++] = this.spare * sd;
      this.spare = NaN;
    }
    let a = this.a, b = this.b, c = this.c, d = this.d;
    while (i < n) {
      let u: number, v: number, s: number;
      do {
        // Four draws of xoshiro128** (as nextUint32), two per 53-bit uniform (as uniform).
        let r = Math.imul(rotl(Math.imul(b, 5), 7), 9) >>> 0;
        let t = b << 9;
        c ^= a; d ^= b; b ^= c; a ^= d; c ^= t; d = rotl(d, 11);
        let hi = r >>> 5;
        r = Math.imul(rotl(Math.imul(b, 5), 7), 9) >>> 0;
        t = b << 9;
        c ^= a; d ^= b; b ^= c; a ^= d; c ^= t; d = rotl(d, 11);
        u = 2 * ((hi * 67108864 + (r >>> 6)) / 9007199254740992) - 1;
        r = Math.imul(rotl(Math.imul(b, 5), 7), 9) >>> 0;
        t = b << 9;
        c ^= a; d ^= b; b ^= c; a ^= d; c ^= t; d = rotl(d, 11);
        hi = r >>> 5;
        r = Math.imul(rotl(Math.imul(b, 5), 7), 9) >>> 0;
        t = b << 9;
        c ^= a; d ^= b; b ^= c; a ^= d; c ^= t; d = rotl(d, 11);
        v = 2 * ((hi * 67108864 + (r >>> 6)) / 9007199254740992) - 1;
        s = u * u + v * v;
      } while (s >= 1 || s === 0);
      const m = Math.sqrt((-2 * Math.log(s)) / s);
      out[i++] = u * m * sd;
      if (i < n) out[i++] = v * m * sd;
      else this.spare = v * m;
    }
    this.a = a; this.b = b; this.c = c; this.d = d;
  }

  /** One element of `values`, uniformly. */
  pick<T>(values: readonly T[]): T {
    if (!values.length) throw new Error('cannot pick from an empty list');
    return values[this.int(values.length)]!;
  }

  /** Fisher-Yates shuffle in place. */
  shuffle(a: Int32Array | Uint32Array | number[]): void {
    for (let i = a.length - 1; i > 0; i--) {
      const j = this.int(i + 1);
      const t = a[i]!; a[i] = a[j]!; a[j] = t;
    }
  }
}

function rotl(x: number, k: number): number {
  return (x << k) | (x >>> (32 - k));
}
