using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Occam.Kernels;

/// <summary>
/// Batch norm of a row-major [rows, C] activation by column blocks: each kernel takes columns [0, cols) of rows
/// with stride ld (one thread's share of C). A column's arithmetic is the same whichever share it falls in, and the
/// same as <see cref="Norm.ChannelMoments"/> and friends: float sums over the rows in order, moved into double every
/// 128 rows. How a kernel walks its share is chosen by measurement on [128, 512] and [128, 256] at 1 and 2 threads:
/// <list type="bullet">
/// <item>The sums (<see cref="Moments"/>, <see cref="Sums"/>) go row by row, each row's part contiguous, with the
/// per-column sums in a small buffer that stays in L1; they only read the activation.</item>
/// <item>The kernels that write (<see cref="Normalize"/>, <see cref="AccumulateLinear"/>) go row by row when the
/// share is whole rows, and in 16-column strips down the rows when a neighbouring share takes the rest of each row.
/// Row by row is 2–6× faster alone (a strip's stores stride by the row length and alias its loads), but 2–3× slower
/// beside a neighbour: two cores writing the two halves of the same rows at once lose the lines between them.</item>
/// </list>
/// </summary>
internal static unsafe class ColumnNorm
{
    const int Lanes = 16;
    const int RowsPerFlush = 128;
    // Sums buffers live on the stack; wider shares are summed this many columns at a time.
    const int SumColumns = 1024;

    static bool Vectorized => Vector512.IsHardwareAccelerated;

    // The columns [0, VectorColumns) go 16 at a time; the rest one at a time.
    static int VectorColumns(int cols) => Vectorized ? cols / Lanes * Lanes : 0;

    static bool FlushAfter(int r, int rows) => (r + 1) % RowsPerFlush == 0 || r == rows - 1;

    /// <summary>Mean and biased variance of each column: the mean first, then the squared deviations from it.</summary>
    public static void Moments(float* x, int rows, int cols, nint ld, float* mean, float* variance)
    {
        int width = Math.Min(SumColumns, cols);
        float* acc = stackalloc float[width];
        double* total = stackalloc double[width];
        for (int j0 = 0; j0 < cols; j0 += SumColumns)
        {
            int w = Math.Min(SumColumns, cols - j0);
            new Span<float>(acc, w).Clear();
            new Span<double>(total, w).Clear();
            for (int r = 0; r < rows; r++)
            {
                AddRow(acc, x + r * ld + j0, w);
                if (FlushAfter(r, rows)) Flush(acc, total, w);
            }
            for (int j = 0; j < w; j++) { mean[j0 + j] = (float)(total[j] / rows); total[j] = 0; }
            for (int r = 0; r < rows; r++)
            {
                AddSquaredDeviations(acc, x + r * ld + j0, mean + j0, w);
                if (FlushAfter(r, rows)) Flush(acc, total, w);
            }
            for (int j = 0; j < w; j++) variance[j0 + j] = (float)(total[j] / rows);
        }
    }

    // acc += row
    static void AddRow(float* acc, float* row, int cols)
    {
        int j = 0;
        for (int vec = VectorColumns(cols); j < vec; j += Lanes) (Vector512.Load(acc + j) + Vector512.Load(row + j)).Store(acc + j);
        for (; j < cols; j++) acc[j] += row[j];
    }

    // acc += (row − mean)²
    static void AddSquaredDeviations(float* acc, float* row, float* mean, int cols)
    {
        int j = 0;
        for (int vec = VectorColumns(cols); j < vec; j += Lanes)
        {
            var d = Vector512.Load(row + j) - Vector512.Load(mean + j);
            Vector512.FusedMultiplyAdd(d, d, Vector512.Load(acc + j)).Store(acc + j);
        }
        for (; j < cols; j++)
        {
            float d = row[j] - mean[j];
            acc[j] = MathF.FusedMultiplyAdd(d, d, acc[j]);
        }
    }

    /// <summary>The backward's sums over a column share: Σ g and Σ g·x per column, with g the incoming gradient gated by
    /// the output y when the forward had a ReLU (g where y &gt; 0, times 1/(1 − p) when it also had dropout).</summary>
    public static void Sums(float* g, float* y, float* x, int rows, int cols, nint ld, bool relu, float dropScale,
        double* sumG, double* sumGX)
    {
        new Span<double>(sumG, cols).Clear();
        new Span<double>(sumGX, cols).Clear();
        int width = Math.Min(SumColumns, cols);
        float* accG = stackalloc float[width], accGX = stackalloc float[width];
        for (int j0 = 0; j0 < cols; j0 += SumColumns)
        {
            int w = Math.Min(SumColumns, cols - j0);
            new Span<float>(accG, w).Clear();
            new Span<float>(accGX, w).Clear();
            for (int r = 0; r < rows; r++)
            {
                nint at = r * ld + j0;
                AddRowSums(accG, accGX, g + at, relu ? y + at : null, x + at, w, dropScale);
                if (FlushAfter(r, rows))
                {
                    Flush(accG, sumG + j0, w);
                    Flush(accGX, sumGX + j0, w);
                }
            }
        }
    }

    // accG += gate(g), accGX += gate(g)·x
    static void AddRowSums(float* accG, float* accGX, float* g, float* y, float* x, int cols, float dropScale)
    {
        int j = 0;
        for (int vec = VectorColumns(cols); j < vec; j += Lanes)
        {
            var v = Gate(Vector512.Load(g + j), y == null ? null : y + j, dropScale);
            (Vector512.Load(accG + j) + v).Store(accG + j);
            Vector512.FusedMultiplyAdd(v, Vector512.Load(x + j), Vector512.Load(accGX + j)).Store(accGX + j);
        }
        for (; j < cols; j++)
        {
            float v = Gate(g[j], y == null ? null : y + j, dropScale);
            accG[j] += v;
            accGX[j] = MathF.FusedMultiplyAdd(v, x[j], accGX[j]);
        }
    }

    // g gated by the ReLU's output y (and scaled by dropout's 1/(1 − p) unless dropScale is 1); g itself when y is null.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static Vector512<float> Gate(Vector512<float> g, float* y, float dropScale)
    {
        if (y == null) return g;
        if (dropScale != 1f) g *= dropScale;
        return Vector512.ConditionalSelect(Vector512.GreaterThan(Vector512.Load(y), Vector512<float>.Zero), g, Vector512<float>.Zero);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static float Gate(float g, float* y, float dropScale) =>
        y == null ? g : *y > 0 ? (dropScale != 1f ? g * dropScale : g) : 0;

    /// <summary>y = f(x·scale + shift) per column, f the ReLU when <paramref name="relu"/>, then inverted dropout of
    /// element r·C + column0 + j of the stream (C = ld) when dropout.P &gt; 0 (dropout only with the ReLU).</summary>
    public static void Normalize(float* x, float* y, int rows, int cols, nint ld, float* scale, float* shift, bool relu,
        DropoutStream dropout, int column0)
    {
        int vec = VectorColumns(cols);
        if (cols == ld)
            for (int r = 0; r < rows; r++)
            {
                nint row = r * ld;
                for (int j = 0; j < vec; j += Lanes) NormalizeVector(x, y, row + j, scale + j, shift + j, relu, dropout, column0);
                for (int j = vec; j < cols; j++) NormalizeScalar(x, y, row + j, scale + j, shift + j, relu, dropout, column0);
            }
        else
        {
            for (int j = 0; j < vec; j += Lanes)
                for (int r = 0; r < rows; r++) NormalizeVector(x, y, r * ld + j, scale + j, shift + j, relu, dropout, column0);
            for (int j = vec; j < cols; j++)
                for (int r = 0; r < rows; r++) NormalizeScalar(x, y, r * ld + j, scale + j, shift + j, relu, dropout, column0);
        }
    }

    // y[at..at+16) from x[at..at+16) and the columns' scale and shift
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static void NormalizeVector(float* x, float* y, nint at, float* scale, float* shift, bool relu, DropoutStream dropout, int column0)
    {
        var v = Vector512.Load(x + at) * Vector512.Load(scale) + Vector512.Load(shift);
        if (relu) v = Vector512.Max(v, Vector512<float>.Zero);
        if (dropout.P > 0) v *= RandomKernels.DropoutMask16(dropout.Key, at + column0, Vector512.Create(dropout.P), Vector512.Create(dropout.Scale));
        v.Store(y + at);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static void NormalizeScalar(float* x, float* y, nint at, float* scale, float* shift, bool relu, DropoutStream dropout, int column0)
    {
        float v = x[at] * *scale + *shift;
        if (relu) v = MathF.Max(v, 0f);
        if (dropout.P > 0) v *= RandomKernels.CounterUniform(dropout.Key, at + column0) >= dropout.P ? dropout.Scale : 0f;
        y[at] = v;
    }

    /// <summary>dx = a·g + b·x + c per column (added to dx unless <paramref name="overwrite"/>), g gated by y as in
    /// <see cref="Sums"/> when <paramref name="relu"/>: the normalization's backward once its sums are known.</summary>
    public static void AccumulateLinear(float* g, float* y, float* x, float* dx, int rows, int cols, nint ld, float* a, float* b, float* c,
        bool relu, float dropScale, bool overwrite)
    {
        if (!relu) y = null;
        int vec = VectorColumns(cols);
        if (cols == ld)
            for (int r = 0; r < rows; r++)
            {
                nint row = r * ld;
                for (int j = 0; j < vec; j += Lanes) AccumulateLinearVector(g, y, x, dx, row + j, a + j, b + j, c + j, dropScale, overwrite);
                for (int j = vec; j < cols; j++) AccumulateLinearScalar(g, y, x, dx, row + j, a + j, b + j, c + j, dropScale, overwrite);
            }
        else
        {
            for (int j = 0; j < vec; j += Lanes)
                for (int r = 0; r < rows; r++) AccumulateLinearVector(g, y, x, dx, r * ld + j, a + j, b + j, c + j, dropScale, overwrite);
            for (int j = vec; j < cols; j++)
                for (int r = 0; r < rows; r++) AccumulateLinearScalar(g, y, x, dx, r * ld + j, a + j, b + j, c + j, dropScale, overwrite);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static void AccumulateLinearVector(float* g, float* y, float* x, float* dx, nint at, float* a, float* b, float* c, float dropScale, bool overwrite)
    {
        var t = Vector512.FusedMultiplyAdd(Vector512.Load(b), Vector512.Load(x + at), Vector512.Load(c));
        t = Vector512.FusedMultiplyAdd(Vector512.Load(a), Gate(Vector512.Load(g + at), y == null ? null : y + at, dropScale), t);
        (overwrite ? t : Vector512.Load(dx + at) + t).Store(dx + at);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static void AccumulateLinearScalar(float* g, float* y, float* x, float* dx, nint at, float* a, float* b, float* c, float dropScale, bool overwrite)
    {
        float t = MathF.FusedMultiplyAdd(*a, Gate(g[at], y == null ? null : y + at, dropScale), MathF.FusedMultiplyAdd(*b, x[at], *c));
        dx[at] = overwrite ? t : dx[at] + t;
    }

    // total += acc (float into double), acc = 0, for the first cols columns.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static void Flush(float* acc, double* total, int cols)
    {
        int j = 0;
        for (int vec = VectorColumns(cols); j < vec; j += Lanes)
        {
            var (lo, hi) = Vector512.Widen(Vector512.Load(acc + j));
            (Vector512.Load(total + j) + lo).Store(total + j);
            (Vector512.Load(total + j + 8) + hi).Store(total + j + 8);
        }
        for (; j < cols; j++) total[j] += acc[j];
        new Span<float>(acc, cols).Clear();
    }
}
