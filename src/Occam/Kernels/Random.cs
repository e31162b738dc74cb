using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Occam.Kernels;

/// <summary>Bulk random kernels over a <see cref="Generator"/>.</summary>
public static class RandomKernels
{
    /// <summary>Elements per task of a parallel mask: fixed, so a mask does not depend on the thread count.</summary>
    const int Block = 16384;

    /// <summary>
    /// Inverted-dropout mask and product: mask[i] = u_i ≥ p ? 1/(1 − p) : 0, y[i] = x[i]·mask[i].
    /// One 64-bit key is drawn from <paramref name="generator"/> per call; u_i is a counter-based draw,
    /// the SplitMix64 output function of key + (i + 1)·γ (Steele, Lea &amp; Flood 2014: the SplitMix64 sequence
    /// itself, started at the key), top 24 bits. Any element can be drawn on its own, so the mask is made in
    /// 8-lane vector steps and in parallel blocks, and a seed gives the same mask whatever the thread count.
    /// </summary>
    public static unsafe void DropoutMask(Span<float> mask, ReadOnlySpan<float> x, Span<float> y, float p, Generator generator)
    {
        if (x.Length != mask.Length || y.Length != mask.Length)
            throw new ArgumentException($"DropoutMask: lengths differ (mask {mask.Length}, x {x.Length}, y {y.Length})");
        if (!(p >= 0 && p <= 1)) throw new ArgumentException($"DropoutMask: p must be in [0, 1], got {p}");
        if (p >= 1) { mask.Clear(); y.Clear(); return; }
        ulong key = generator.NextUInt64();
        fixed (float* pm = mask, px = x, py = y)
        {
            var job = new MaskJob { Mask = pm, X = px, Y = py, Length = mask.Length, P = p, Scale = 1f / (1f - p), Key = key };
            int blocks = (mask.Length + Block - 1) / Block;
            if (blocks <= 2) for (int b = 0; b < blocks; b++) job.Invoke(b);
            else Threads.For(blocks, job);
        }
    }

    /// <summary>Uniform float in [0, 1) for element <paramref name="index"/> of the stream keyed by <paramref name="key"/>.</summary>
    internal static float CounterUniform(ulong key, long index) => (Mix(key + (ulong)(index + 1) * Gamma) >> 40) * (1.0f / (1 << 24));

    const ulong Gamma = 0x9E3779B97F4A7C15UL;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static ulong Mix(ulong z)
    {
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static Vector512<ulong> Mix(Vector512<ulong> z)
    {
        z = (z ^ Vector512.ShiftRightLogical(z, 30)) * Vector512.Create(0xBF58476D1CE4E5B9UL);
        z = (z ^ Vector512.ShiftRightLogical(z, 27)) * Vector512.Create(0x94D049BB133111EBUL);
        return z ^ Vector512.ShiftRightLogical(z, 31);
    }

    unsafe struct MaskJob : IParallelBody
    {
        public float* Mask, X, Y;
        public int Length;
        public float P, Scale;
        public ulong Key;

        public readonly void Invoke(int block)
        {
            int start = block * Block, end = Math.Min(start + Block, Length), i = start;
            if (Vector512.IsHardwareAccelerated)
            {
                var threshold = Vector512.Create(P);
                var keep = Vector512.Create(Scale);
                var unit = Vector512.Create(1.0f / (1 << 24));
                var step = Vector512.Create(unchecked(16 * Gamma));
                // counters of lanes 0-7 and 8-15: key + (i + 1 + lane)·γ
                var lanes = Vector512.Create(1UL, 2, 3, 4, 5, 6, 7, 8) * Vector512.Create(Gamma);
                var lo = Vector512.Create(Key + (ulong)i * Gamma) + lanes;
                var hi = lo + Vector512.Create(unchecked(8 * Gamma));
                for (; i + 16 <= end; i += 16, lo += step, hi += step)
                {
                    var bits = Vector512.Narrow(Vector512.ShiftRightLogical(Mix(lo), 40), Vector512.ShiftRightLogical(Mix(hi), 40));
                    var u = Vector512.ConvertToSingle(bits.AsInt32()) * unit;
                    var m = Vector512.ConditionalSelect(Vector512.GreaterThanOrEqual(u, threshold), keep, Vector512<float>.Zero);
                    m.Store(Mask + i);
                    (Vector512.Load(X + i) * m).Store(Y + i);
                }
            }
            for (; i < end; i++)
            {
                float m = CounterUniform(Key, i) >= P ? Scale : 0f;
                Mask[i] = m;
                Y[i] = X[i] * m;
            }
        }
    }
}
