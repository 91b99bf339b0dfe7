/**
 * A HyperLogLog sketch (Flajolet et al., 2007) with 2^precision registers: a distinct count
 * in fixed memory (256 bytes at the default precision) with a relative error near
 * 1.04 / sqrt(2^precision), about 6.5 % here. Used where a set of subjects could explode,
 * such as the IPs of a credential-stuffing campaign.
 */
export class HyperLogLog {
  private readonly registers: Uint8Array;
  private readonly bits: number;

  constructor(precision = 8) {
    this.bits = precision;
    this.registers = new Uint8Array(1 << precision);
  }

  add(value: string): void {
    this.addHash(hash32(value));
  }

  addHash(hash: number): void {
    const index = hash >>> (32 - this.bits);
    const rest = (hash << this.bits) >>> 0;
    // Position of the first 1 bit in the remaining bits (1-based); all zeros count as the maximum.
    const rank = rest === 0 ? 32 - this.bits + 1 : Math.clz32(rest) + 1;
    if (rank > this.registers[index]) this.registers[index] = rank;
  }

  merge(other: HyperLogLog): void {
    for (let i = 0; i < this.registers.length; i += 1) {
      if (other.registers[i] > this.registers[i]) this.registers[i] = other.registers[i];
    }
  }

  estimate(): number {
    const m = this.registers.length;
    let sum = 0;
    let zeros = 0;
    for (const register of this.registers) {
      sum += 2 ** -register;
      if (register === 0) zeros += 1;
    }
    const alpha = m === 16 ? 0.673 : m === 32 ? 0.697 : m === 64 ? 0.709 : 0.7213 / (1 + 1.079 / m);
    const raw = (alpha * m * m) / sum;
    // Small-range correction: linear counting is exact enough while registers are empty.
    if (raw <= 2.5 * m && zeros > 0) return Math.round(m * Math.log(m / zeros));
    return Math.round(raw);
  }
}

/** FNV-1a, 32 bits, then a murmur3 finalizer so the leading bits are well mixed. */
export function hash32(value: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < value.length; i += 1) {
    hash ^= value.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  hash ^= hash >>> 16;
  hash = Math.imul(hash, 0x85ebca6b);
  hash ^= hash >>> 13;
  hash = Math.imul(hash, 0xc2b2ae35);
  hash ^= hash >>> 16;
  return hash >>> 0;
}

/**
 * Counts distinct values exactly while there are few (the usual case, and where thresholds
 * are decided), then switches to a HyperLogLog so a flood of values costs fixed memory. The
 * first value is held without a Set, because most subjects only ever see one.
 */
export class DistinctCounter {
  private single: string | undefined;
  private exact: Set<string> | undefined;
  private sketch: HyperLogLog | undefined;

  constructor(private readonly exactLimit = 64) {}

  add(value: string): void {
    if (this.sketch) {
      this.sketch.add(value);
      return;
    }
    if (this.exact === undefined) {
      if (this.single === undefined || this.single === value) {
        this.single = value;
        return;
      }
      this.exact = new Set([this.single, value]);
      this.single = undefined;
      return;
    }
    this.exact.add(value);
    if (this.exact.size > this.exactLimit) {
      this.sketch = new HyperLogLog();
      for (const item of this.exact) this.sketch.add(item);
      this.exact = undefined;
    }
  }

  /** Exact membership while counting exactly; `undefined` once approximate. */
  has(value: string): boolean | undefined {
    if (this.sketch) return undefined;
    return this.exact ? this.exact.has(value) : this.single === value;
  }

  get size(): number {
    if (this.sketch) return this.sketch.estimate();
    return this.exact ? this.exact.size : this.single === undefined ? 0 : 1;
  }

  get approximate(): boolean {
    return this.sketch !== undefined;
  }

  /** The values while counting exactly; none once approximate. */
  values(): string[] {
    if (this.sketch) return [];
    return this.exact ? [...this.exact] : this.single === undefined ? [] : [this.single];
  }

  mergeInto(target: HyperLogLog): void {
    if (this.sketch) target.merge(this.sketch);
    else for (const value of this.values()) target.add(value);
  }
}
