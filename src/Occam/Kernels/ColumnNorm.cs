using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Occam.Kernels;

/// <summary>
/// Batch norm of a row-major [rows, C] activation with statistics per column, in blocks of whole rows (one thread's
/// share of the rows): the sums (<see cref="ColumnSums"/>, <see cref="Sums"/>) add each row's elements into per-column
/// float sums that stay in L1 and move into double every <see cref="RowsPerFlush"/> rows, as
/// <see cref="Norm.ChannelMoments"/> does, so that sums of blocks of that many rows combined in order give the same bits
/// as one pass over all the rows; the kernels that write (<see cref="Normalize"/>, <see cref="AccumulateLinear"/>) go
/// row by row.
/// </summary>
internal static unsafe class ColumnNorm
{
    const int Lanes = 16;
    internal const int RowsPerFlush = 64;
    // Sums buffers live on the stack; wider rows are summed this many columns at a time.
    const int SumColumns = 1024;

    static bool Vectorized => Simd.Wide;

    // The columns [0, VectorColumns) go 16 at a time; the rest one at a time.
    static int VectorColumns(int cols) => Vectorized ? cols / Lanes * Lanes : 0;

    static bool FlushAfter(int r, int rows) => (r + 1) % RowsPerFlush == 0 || r == rows - 1;

    /// <summary>Σ x per column over the rows (float sums moved into double every RowsPerFlush rows) into total, or
    /// with a mean Σ (x − mean)²; total is cleared first.</summary>
    public static void ColumnSums(float* x, int rows, int cols, float* mean, double* total)
    {
        new Span<double>(total, cols).Clear();
        int width = Math.Min(SumColumns, cols);
        float* acc = stackalloc float[width];
        for (int j0 = 0; j0 < cols; j0 += SumColumns)
        {
            int w = Math.Min(SumColumns, cols - j0);
            new Span<float>(acc, w).Clear();
            for (int r = 0; r < rows; r++)
            {
                if (mean == null) AddRow(acc, x + (nint)r * cols + j0, w);
                else AddSquaredDeviations(acc, x + (nint)r * cols + j0, mean + j0, w);
                if (FlushAfter(r, rows)) Flush(acc, total + j0, w);
            }
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

    /// <summary>The backward's sums over the rows: Σ g and Σ g·x per column, with g the incoming gradient gated by
    /// the output y when the forward had a ReLU (g where y &gt; 0, times 1/(1 − p) when it also had dropout).</summary>
    public static void Sums(float* g, float* y, float* x, int rows, int cols, bool relu, float dropScale,
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
                nint at = (nint)r * cols + j0;
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

    // g gated by the ReLU's output y, passing unless y ≤ 0 as the unfused ReLU's gradient (and scaled by dropout's
    // 1/(1 − p) unless dropScale is 1); g itself when y is null.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static Vector512<float> Gate(Vector512<float> g, float* y, float dropScale)
    {
        if (y == null) return g;
        if (dropScale != 1f) g *= dropScale;
        return Vector512.ConditionalSelect(Vector512.LessThanOrEqual(Vector512.Load(y), Vector512<float>.Zero), Vector512<float>.Zero, g);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static float Gate(float g, float* y, float dropScale) =>
        y == null ? g : *y <= 0 ? 0 : (dropScale != 1f ? g * dropScale : g);

    /// <summary>y = f(x·scale + shift) per column over whole rows of <paramref name="cols"/>, f the ReLU when
    /// <paramref name="relu"/>, then inverted dropout of element <paramref name="offset"/> + r·cols + j of the stream when
    /// dropout.P &gt; 0 (dropout only with the ReLU).</summary>
    public static void Normalize(float* x, float* y, int rows, int cols, float* scale, float* shift, bool relu,
        DropoutStream dropout, int offset)
    {
        int vec = VectorColumns(cols);
        for (int r = 0; r < rows; r++)
        {
            nint row = (nint)r * cols;
            for (int j = 0; j < vec; j += Lanes) NormalizeVector(x, y, row + j, scale + j, shift + j, relu, dropout, offset);
            for (int j = vec; j < cols; j++) NormalizeScalar(x, y, row + j, scale + j, shift + j, relu, dropout, offset);
        }
    }

    // y[at..at+16) from x[at..at+16) and the columns' scale and shift (at within a row: the columns' own)
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static void NormalizeVector(float* x, float* y, nint at, float* scale, float* shift, bool relu, DropoutStream dropout, int offset)
    {
        var v = Vector512.Load(x + at) * Vector512.Load(scale) + Vector512.Load(shift);
        if (relu) v = Vector512.Max(v, Vector512<float>.Zero);
        if (dropout.P > 0) v *= RandomKernels.DropoutMask16(dropout.Key, at + offset, Vector512.Create(dropout.P), Vector512.Create(dropout.Scale));
        v.Store(y + at);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static void NormalizeScalar(float* x, float* y, nint at, float* scale, float* shift, bool relu, DropoutStream dropout, int offset)
    {
        float v = x[at] * *scale + *shift;
        if (relu) v = MathF.Max(v, 0f);
        if (dropout.P > 0) v *= RandomKernels.CounterUniform(dropout.Key, at + offset) >= dropout.P ? dropout.Scale : 0f;
        y[at] = v;
    }

    /// <summary>dx = a·g + b·x + c per column over whole rows of <paramref name="cols"/> (added to dx unless
    /// <paramref name="overwrite"/>), g gated by y as in <see cref="Sums"/> when <paramref name="relu"/>: the
    /// normalization's backward once its sums are known.</summary>
    public static void AccumulateLinear(float* g, float* y, float* x, float* dx, int rows, int cols, float* a, float* b, float* c,
        bool relu, float dropScale, bool overwrite)
    {
        if (!relu) y = null;
        int vec = VectorColumns(cols);
        for (int r = 0; r < rows; r++)
        {
            nint row = (nint)r * cols;
            for (int j = 0; j < vec; j += Lanes) AccumulateLinearVector(g, y, x, dx, row + j, a + j, b + j, c + j, dropScale, overwrite);
            for (int j = vec; j < cols; j++) AccumulateLinearScalar(g, y, x, dx, row + j, a + j, b + j, c + j, dropScale, overwrite);
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
