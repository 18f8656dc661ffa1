import { describe, expect, it } from 'vitest';
import { TensorFeed } from '../../service/runtime/tensor-feed';

describe('TensorFeed', () => {
  it('float32 windows are the tensor memory itself (no staging copy)', () => {
    const feed = new TensorFeed('sample', 'float32', [2, 3]);
    const window = feed.float32(2, 3);
    window.set([1, 2, 3]);
    expect([...(feed.tensor.data as Float32Array)]).toEqual([0, 0, 1, 2, 3, 0]);
    expect(feed.tensor.dims).toEqual([2, 3]);
  });

  it('float16 inputs are rounded to nearest even on commit', () => {
    const feed = new TensorFeed('timestep', 'float16', []);
    feed.set([950.75]);
    expect(feed.tensor.type).toBe('float16');
    expect((feed.tensor.data as Uint16Array)[0]).toBe(0x636e); // 951
  });

  it('int64 inputs truncate toward zero like numpy astype', () => {
    const feed = new TensorFeed('timestep', 'int64', [3]);
    feed.set([912.7, 1, -2.5]);
    expect([...(feed.tensor.data as BigInt64Array)]).toEqual([912n, 1n, -2n]);
  });

  it('int32 and float64 casts', () => {
    const ints = new TensorFeed('ids', 'int32', [2]);
    ints.set([3.9, -3.9]);
    expect([...(ints.tensor.data as Int32Array)]).toEqual([3, -3]);
    const doubles = new TensorFeed('x', 'float64', [1]);
    doubles.set([0.1]);
    expect((doubles.tensor.data as Float64Array)[0]).toBe(Math.fround(0.1));
  });

  it('copyWithin duplicates committed values in every representation', () => {
    const feed = new TensorFeed('sample', 'float16', [4]);
    feed.set([1, 2], 0);
    feed.copyWithin(2, 0, 2);
    expect([...(feed.tensor.data as Uint16Array)]).toEqual([0x3c00, 0x4000, 0x3c00, 0x4000]);
    expect([...feed.float32()]).toEqual([1, 2, 1, 2]);
  });

  it('refuses ranges outside the tensor', () => {
    const feed = new TensorFeed('sample', 'float32', [4]);
    expect(() => feed.float32(2, 3)).toThrow(/input "sample": range 2\+3 is outside its 4 values/);
  });
});
