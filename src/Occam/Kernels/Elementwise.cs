using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace Occam.Kernels;

/// <summary>An element-wise function of one value, at scalar, 256-bit and 512-bit width.</summary>
public interface IUnaryOperator
{
    float Invoke(float x);
    Vector256<float> Invoke(Vector256<float> x);
    Vector512<float> Invoke(Vector512<float> x);
}

/// <summary>An element-wise function of two values.</summary>
public interface IBinaryOperator
{
    float Invoke(float x, float y);
    Vector256<float> Invoke(Vector256<float> x, Vector256<float> y);
    Vector512<float> Invoke(Vector512<float> x, Vector512<float> y);
}

/// <summary>An element-wise function of three values (for gradients: input, output, upstream gradient).</summary>
public interface ITernaryOperator
{
    float Invoke(float x, float y, float z);
    Vector256<float> Invoke(Vector256<float> x, Vector256<float> y, Vector256<float> z);
    Vector512<float> Invoke(Vector512<float> x, Vector512<float> y, Vector512<float> z);
}

/// <summary>
/// The one loop driver for element-wise operators: widest hardware vectors first, then
/// 256-bit, then scalar for the remainder (the pattern of .NET's TensorPrimitives).
/// </summary>
public static class Elementwise
{
    /// <summary>d[i] = op(x[i]).</summary>
    public static void Apply<T>(T op, ReadOnlySpan<float> x, Span<float> d) where T : struct, IUnaryOperator
    {
        CheckLengths("Elementwise.Apply", x.Length, d.Length);
        ref float px = ref MemoryMarshal.GetReference(x);
        ref float pd = ref MemoryMarshal.GetReference(d);
        nuint n = (nuint)x.Length, i = 0;
        if (Vector512.IsHardwareAccelerated)
            for (; i + 16 <= n; i += 16)
                op.Invoke(Vector512.LoadUnsafe(ref px, i)).StoreUnsafe(ref pd, i);
        if (Vector256.IsHardwareAccelerated)
            for (; i + 8 <= n; i += 8)
                op.Invoke(Vector256.LoadUnsafe(ref px, i)).StoreUnsafe(ref pd, i);
        for (; i < n; i++) Unsafe.Add(ref pd, i) = op.Invoke(Unsafe.Add(ref px, i));
    }

    /// <summary>d[i] = op(x[i], y[i]).</summary>
    public static void Apply<T>(T op, ReadOnlySpan<float> x, ReadOnlySpan<float> y, Span<float> d) where T : struct, IBinaryOperator
    {
        CheckLengths("Elementwise.Apply", x.Length, y.Length, d.Length);
        ref float px = ref MemoryMarshal.GetReference(x);
        ref float py = ref MemoryMarshal.GetReference(y);
        ref float pd = ref MemoryMarshal.GetReference(d);
        nuint n = (nuint)x.Length, i = 0;
        if (Vector512.IsHardwareAccelerated)
            for (; i + 16 <= n; i += 16)
                op.Invoke(Vector512.LoadUnsafe(ref px, i), Vector512.LoadUnsafe(ref py, i)).StoreUnsafe(ref pd, i);
        if (Vector256.IsHardwareAccelerated)
            for (; i + 8 <= n; i += 8)
                op.Invoke(Vector256.LoadUnsafe(ref px, i), Vector256.LoadUnsafe(ref py, i)).StoreUnsafe(ref pd, i);
        for (; i < n; i++) Unsafe.Add(ref pd, i) = op.Invoke(Unsafe.Add(ref px, i), Unsafe.Add(ref py, i));
    }

    /// <summary>d[i] += op(x[i], y[i], z[i]) — the shape of every element-wise backward pass.</summary>
    public static void Accumulate<T>(T op, ReadOnlySpan<float> x, ReadOnlySpan<float> y, ReadOnlySpan<float> z, Span<float> d) where T : struct, ITernaryOperator
    {
        CheckLengths("Elementwise.Accumulate", x.Length, y.Length, z.Length, d.Length);
        ref float px = ref MemoryMarshal.GetReference(x);
        ref float py = ref MemoryMarshal.GetReference(y);
        ref float pz = ref MemoryMarshal.GetReference(z);
        ref float pd = ref MemoryMarshal.GetReference(d);
        nuint n = (nuint)x.Length, i = 0;
        if (Vector512.IsHardwareAccelerated)
            for (; i + 16 <= n; i += 16)
                (Vector512.LoadUnsafe(ref pd, i) + op.Invoke(Vector512.LoadUnsafe(ref px, i), Vector512.LoadUnsafe(ref py, i), Vector512.LoadUnsafe(ref pz, i))).StoreUnsafe(ref pd, i);
        if (Vector256.IsHardwareAccelerated)
            for (; i + 8 <= n; i += 8)
                (Vector256.LoadUnsafe(ref pd, i) + op.Invoke(Vector256.LoadUnsafe(ref px, i), Vector256.LoadUnsafe(ref py, i), Vector256.LoadUnsafe(ref pz, i))).StoreUnsafe(ref pd, i);
        for (; i < n; i++) Unsafe.Add(ref pd, i) += op.Invoke(Unsafe.Add(ref px, i), Unsafe.Add(ref py, i), Unsafe.Add(ref pz, i));
    }

    /// <summary>Elements per parallel task (a multiple of 16, so every element takes the same vector or scalar path as in one pass).</summary>
    const int ParallelChunk = 32768;

    static int ParallelTasks(int length) => Threads.Count > 1 && length >= 2 * ParallelChunk ? (length + ParallelChunk - 1) / ParallelChunk : 1;

    /// <summary><see cref="Apply{T}(T, ReadOnlySpan{float}, Span{float})"/> split over the engine's threads when long; same results.</summary>
    public static unsafe void ApplyParallel<T>(T op, ReadOnlySpan<float> x, Span<float> d) where T : struct, IUnaryOperator
    {
        CheckLengths("Elementwise.Apply", x.Length, d.Length);
        int tasks = ParallelTasks(x.Length);
        if (tasks == 1) { Apply(op, x, d); return; }
        fixed (float* px = x, pd = d)
            Threads.For(tasks, new UnaryBody<T> { Op = op, X = px, D = pd, Length = x.Length });
    }

    /// <summary><see cref="Accumulate{T}"/> split over the engine's threads when long; same results.</summary>
    public static unsafe void AccumulateParallel<T>(T op, ReadOnlySpan<float> x, ReadOnlySpan<float> y, ReadOnlySpan<float> z, Span<float> d) where T : struct, ITernaryOperator
    {
        CheckLengths("Elementwise.Accumulate", x.Length, y.Length, z.Length, d.Length);
        int tasks = ParallelTasks(x.Length);
        if (tasks == 1) { Accumulate(op, x, y, z, d); return; }
        fixed (float* px = x, py = y, pz = z, pd = d)
            Threads.For(tasks, new TernaryBody<T> { Op = op, X = px, Y = py, Z = pz, D = pd, Length = x.Length });
    }

    unsafe struct UnaryBody<T> : IParallelBody where T : struct, IUnaryOperator
    {
        public T Op;
        public float* X, D;
        public int Length;

        public readonly void Invoke(int index)
        {
            int start = index * ParallelChunk, count = Math.Min(ParallelChunk, Length - start);
            Apply(Op, new ReadOnlySpan<float>(X + start, count), new Span<float>(D + start, count));
        }
    }

    unsafe struct TernaryBody<T> : IParallelBody where T : struct, ITernaryOperator
    {
        public T Op;
        public float* X, Y, Z, D;
        public int Length;

        public readonly void Invoke(int index)
        {
            int start = index * ParallelChunk, count = Math.Min(ParallelChunk, Length - start);
            Accumulate(Op, new ReadOnlySpan<float>(X + start, count), new ReadOnlySpan<float>(Y + start, count),
                new ReadOnlySpan<float>(Z + start, count), new Span<float>(D + start, count));
        }
    }

    static void CheckLengths(string op, int n, params ReadOnlySpan<int> others)
    {
        foreach (int m in others)
            if (m != n) throw new ArgumentException($"{op}: span lengths differ ({n} and {m})");
    }
}
