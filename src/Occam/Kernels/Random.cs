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
        var stream = DropoutStream.Next(generator, p);
        fixed (float* pm = mask, px = x, py = y)
        {
            var job = new MaskJob { Mask = pm, X = px, Y = py, Length = mask.Length, P = p, Scale = stream.Scale, Key = stream.Key };
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

    /// <summary>
    /// y[i] = x[i]·mask[i] in place over y (x = y), for the elements [start, start + y.Length) of the stream of
    /// <paramref name="dropout"/>: the product <see cref="DropoutMask"/> makes for those elements with the same key,
    /// without storing the mask (for a fused op whose backward can tell the kept elements from its output).
    /// </summary>
    internal static unsafe void DropoutInPlace(Span<float> y, long start, DropoutStream dropout)
    {
        fixed (float* py = y)
        {
            float* origin = py - start; // element i of the stream is origin[i]
            Draw(origin, origin, null, start, start + y.Length, dropout.Key, dropout.P, dropout.Scale);
        }
    }

    /// <summary>The dropout multipliers (scale where kept, else 0; <paramref name="threshold"/> = p, <paramref name="keep"/> =
    /// 1/(1 − p)) of elements [index, index + 16) of the stream keyed by <paramref name="key"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static Vector512<float> DropoutMask16(ulong key, long index, Vector512<float> threshold, Vector512<float> keep)
    {
        // counters of lanes 0-7 and 8-15: key + (index + 1 + lane)·γ
        var lo = Vector512.Create(key + (ulong)index * Gamma) + Vector512.Create(Gamma, unchecked(2 * Gamma), unchecked(3 * Gamma), unchecked(4 * Gamma), unchecked(5 * Gamma), unchecked(6 * Gamma), unchecked(7 * Gamma), unchecked(8 * Gamma));
        var hi = lo + Vector512.Create(unchecked(8 * Gamma));
        var bits = Vector512.Narrow(Vector512.ShiftRightLogical(Mix(lo), 40), Vector512.ShiftRightLogical(Mix(hi), 40));
        var u = Vector512.ConvertToSingle(bits.AsInt32()) * Vector512.Create(1.0f / (1 << 24));
        return Vector512.ConditionalSelect(Vector512.GreaterThanOrEqual(u, threshold), keep, Vector512<float>.Zero);
    }

    /// <summary>Elements [start, end) of the stream keyed by key: m = u ≥ p ? scale : 0, y[i] = x[i]·m, mask[i] = m
    /// when mask is not null; pointers are to element 0 of the stream.</summary>
    static unsafe void Draw(float* x, float* y, float* mask, long start, long end, ulong key, float p, float scale)
    {
        long i = start;
        if (Simd.Wide)
        {
            var (threshold, keep) = (Vector512.Create(p), Vector512.Create(scale));
            for (; i + 16 <= end; i += 16)
            {
                var m = DropoutMask16(key, i, threshold, keep);
                if (mask != null) m.Store(mask + i);
                (Vector512.Load(x + i) * m).Store(y + i);
            }
        }
        for (; i < end; i++)
        {
            float m = CounterUniform(key, i) >= p ? scale : 0f;
            if (mask != null) mask[i] = m;
            y[i] = x[i] * m;
        }
    }

    unsafe struct MaskJob : IParallelBody
    {
        public float* Mask, X, Y;
        public int Length;
        public float P, Scale;
        public ulong Key;

        public readonly void Invoke(int block) =>
            Draw(X, Y, Mask, (long)block * Block, Math.Min((long)(block + 1) * Block, Length), Key, P, Scale);
    }
}

/// <summary>One dropout call's draw: the key taken from the generator (one per call) and the drop probability,
/// 0 &lt; p &lt; 1; survivors are scaled by 1/(1 − p).</summary>
internal readonly record struct DropoutStream(ulong Key, float P)
{
    public float Scale => 1f / (1f - P);

    /// <summary>The next call's draw from <paramref name="generator"/>, as <see cref="RandomKernels.DropoutMask"/> takes it.</summary>
    public static DropoutStream Next(Generator generator, float p) => new(generator.NextUInt64(), p);
}
