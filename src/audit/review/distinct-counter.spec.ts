import { DistinctCounter, HyperLogLog } from './distinct-counter';

describe('HyperLogLog', () => {
  it.each([100, 1_000, 50_000])('estimates %i distinct values within 15 %%', (n) => {
    const sketch = new HyperLogLog();
    for (let i = 0; i < n; i += 1) {
      sketch.add(`10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`);
      sketch.add(`10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`);
    }
    expect(Math.abs(sketch.estimate() - n) / n).toBeLessThan(0.15);
  });

  it('merges like a union', () => {
    const a = new HyperLogLog();
    const b = new HyperLogLog();
    for (let i = 0; i < 5000; i += 1) a.add(`a${i}`);
    for (let i = 0; i < 5000; i += 1) b.add(`a${i + 2500}`);
    a.merge(b);
    expect(Math.abs(a.estimate() - 7500) / 7500).toBeLessThan(0.15);
  });
});

describe('DistinctCounter', () => {
  it('is exact while small and approximate past its limit', () => {
    const counter = new DistinctCounter(4);
    for (const value of ['a', 'b', 'a', 'c']) counter.add(value);
    expect(counter.size).toBe(3);
    expect(counter.values()).toEqual(['a', 'b', 'c']);
    expect(counter.has('b')).toBe(true);
    for (let i = 0; i < 1000; i += 1) counter.add(`v${i}`);
    expect(counter.approximate).toBe(true);
    expect(counter.has('a')).toBeUndefined();
    expect(Math.abs(counter.size - 1003) / 1003).toBeLessThan(0.15);
  });
});
