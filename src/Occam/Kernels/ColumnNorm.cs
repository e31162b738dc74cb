using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Occam.Kernels;

/// <summary>
/// Batch norm of a row-major [rows, C] activation by column blocks: each kernel takes columns [0, cols) of rows
/// with stride ld (one thread's share of C) and walks 16-column strips down all the rows with the accumulators in
/// registers, so each quantity is one pass over the share and no call is made per row. A column's arithmetic is
/// the same whichever strip or share it falls in (and the same as <see cref="Norm.ChannelMoments"/> and friends):
/// float sums moved into double every 128 rows.
/// </summary>
internal static unsafe class ColumnNorm
{
    const int Strip = 16;
    const int RowsPerFlush = 128;

    static bool Vectorized => Vector512.IsHardwareAccelerated;

    /// <summary>Mean and biased variance of each column: the mean first, then the squared deviations from it.</summary>
    public static void Moments(float* x, int rows, int cols, nint ld, float* mean, float* variance)
    {
        int j = 0;
        if (Vectorized)
            for (; j + Strip <= cols; j += Strip)
            {
                float* column = x + j;
                var (lo, hi) = (Vector512<double>.Zero, Vector512<double>.Zero);
                var acc = Vector512<float>.Zero;
                for (int r = 0; r < rows; r++)
                {
                    acc += Vector512.Load(column + r * ld);
                    if ((r + 1) % RowsPerFlush == 0 || r == rows - 1) Flush(ref acc, ref lo, ref hi);
                }
                var m = Narrow(lo / rows, hi / rows);
                m.Store(mean + j);
                (lo, hi) = (Vector512<double>.Zero, Vector512<double>.Zero);
                for (int r = 0; r < rows; r++)
                {
                    var d = Vector512.Load(column + r * ld) - m;
                    acc = Vector512.FusedMultiplyAdd(d, d, acc);
                    if ((r + 1) % RowsPerFlush == 0 || r == rows - 1) Flush(ref acc, ref lo, ref hi);
                }
                Narrow(lo / rows, hi / rows).Store(variance + j);
            }
        for (; j < cols; j++)
        {
            double total = 0;
            float acc = 0;
            for (int r = 0; r < rows; r++)
            {
                acc += x[r * ld + j];
                if ((r + 1) % RowsPerFlush == 0 || r == rows - 1) { total += acc; acc = 0; }
            }
            float m = (float)(total / rows);
            mean[j] = m;
            total = 0;
            for (int r = 0; r < rows; r++)
            {
                float d = x[r * ld + j] - m;
                acc = MathF.FusedMultiplyAdd(d, d, acc);
                if ((r + 1) % RowsPerFlush == 0 || r == rows - 1) { total += acc; acc = 0; }
            }
            variance[j] = (float)(total / rows);
        }
    }

    /// <summary>y = f(x·scale + shift) per column, f the ReLU when <paramref name="relu"/>, then inverted dropout of
    /// element r·C + column0 + j of the stream (C = ld) when dropout.P &gt; 0.</summary>
    public static void Normalize(float* x, float* y, int rows, int cols, nint ld, float* scale, float* shift, bool relu,
        DropoutStream dropout, int column0)
    {
        bool drop = dropout.P > 0;
        float keep = drop ? dropout.Scale : 0f;
        var (threshold, keepVector) = (Vector512.Create(dropout.P), Vector512.Create(keep));
        int j = 0;
        if (Vectorized)
            for (; j + Strip <= cols; j += Strip)
            {
                var (s, t) = (Vector512.Load(scale + j), Vector512.Load(shift + j));
                for (int r = 0; r < rows; r++)
                {
                    var v = Vector512.Load(x + r * ld + j) * s + t;
                    if (relu) v = Vector512.Max(v, Vector512<float>.Zero);
                    if (drop) v *= RandomKernels.DropoutMask16(dropout.Key, r * ld + column0 + j, threshold, keepVector);
                    v.Store(y + r * ld + j);
                }
            }
        for (; j < cols; j++)
            for (int r = 0; r < rows; r++)
            {
                float v = x[r * ld + j] * scale[j] + shift[j];
                if (relu) v = v > 0 ? v : 0;
                if (drop) v *= RandomKernels.CounterUniform(dropout.Key, r * ld + column0 + j) >= dropout.P ? keep : 0f;
                y[r * ld + j] = v;
            }
    }

    /// <summary>The backward's first pass over a column share: g is gated in place by the output y when the forward
    /// had a ReLU (g where y &gt; 0, times 1/(1 − p) when it also had dropout), then Σ g and Σ g·x per column.</summary>
    public static void GateAndSums(float* g, float* y, float* x, int rows, int cols, nint ld, bool relu, float dropScale,
        double* sumG, double* sumGX)
    {
        bool scaled = dropScale != 1f;
        int j = 0;
        if (Vectorized)
            for (; j + Strip <= cols; j += Strip)
            {
                var (gLo, gHi, gxLo, gxHi) = (Vector512<double>.Zero, Vector512<double>.Zero, Vector512<double>.Zero, Vector512<double>.Zero);
                var (accG, accGX) = (Vector512<float>.Zero, Vector512<float>.Zero);
                for (int r = 0; r < rows; r++)
                {
                    float* gr = g + r * ld + j;
                    var v = Vector512.Load(gr);
                    if (relu)
                    {
                        if (scaled) v *= dropScale;
                        v = Vector512.ConditionalSelect(Vector512.GreaterThan(Vector512.Load(y + r * ld + j), Vector512<float>.Zero), v, Vector512<float>.Zero);
                        v.Store(gr);
                    }
                    accG += v;
                    accGX = Vector512.FusedMultiplyAdd(v, Vector512.Load(x + r * ld + j), accGX);
                    if ((r + 1) % RowsPerFlush == 0 || r == rows - 1)
                    {
                        Flush(ref accG, ref gLo, ref gHi);
                        Flush(ref accGX, ref gxLo, ref gxHi);
                    }
                }
                gLo.Store(sumG + j); gHi.Store(sumG + j + 8);
                gxLo.Store(sumGX + j); gxHi.Store(sumGX + j + 8);
            }
        for (; j < cols; j++)
        {
            double totalG = 0, totalGX = 0;
            float accG = 0, accGX = 0;
            for (int r = 0; r < rows; r++)
            {
                float v = g[r * ld + j];
                if (relu)
                {
                    v = y[r * ld + j] > 0 ? (scaled ? v * dropScale : v) : 0;
                    g[r * ld + j] = v;
                }
                accG += v;
                accGX = MathF.FusedMultiplyAdd(v, x[r * ld + j], accGX);
                if ((r + 1) % RowsPerFlush == 0 || r == rows - 1) { totalG += accG; totalGX += accGX; accG = accGX = 0; }
            }
            sumG[j] = totalG;
            sumGX[j] = totalGX;
        }
    }

    /// <summary>dx = a·g + b·x + c per column (added to dx unless <paramref name="overwrite"/>): the normalization's
    /// backward once its sums are known.</summary>
    public static void AccumulateLinear(float* g, float* x, float* dx, int rows, int cols, nint ld, float* a, float* b, float* c, bool overwrite)
    {
        int j = 0;
        if (Vectorized)
            for (; j + Strip <= cols; j += Strip)
            {
                var (va, vb, vc) = (Vector512.Load(a + j), Vector512.Load(b + j), Vector512.Load(c + j));
                for (int r = 0; r < rows; r++)
                {
                    nint at = r * ld + j;
                    var t = Vector512.FusedMultiplyAdd(vb, Vector512.Load(x + at), vc);
                    t = Vector512.FusedMultiplyAdd(va, Vector512.Load(g + at), t);
                    (overwrite ? t : Vector512.Load(dx + at) + t).Store(dx + at);
                }
            }
        for (; j < cols; j++)
            for (int r = 0; r < rows; r++)
            {
                nint at = r * ld + j;
                float t = MathF.FusedMultiplyAdd(a[j], g[at], MathF.FusedMultiplyAdd(b[j], x[at], c[j]));
                dx[at] = overwrite ? t : dx[at] + t;
            }
    }

    // total += acc (16 float lanes into two 8-lane doubles); acc = 0.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static void Flush(ref Vector512<float> acc, ref Vector512<double> lo, ref Vector512<double> hi)
    {
        var (l, h) = Vector512.Widen(acc);
        lo += l;
        hi += h;
        acc = Vector512<float>.Zero;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static Vector512<float> Narrow(Vector512<double> lo, Vector512<double> hi) => Vector512.Narrow(lo, hi);
}
