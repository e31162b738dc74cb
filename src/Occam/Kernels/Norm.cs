using System.Buffers;
using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace Occam.Kernels;

/// <summary>
/// Normalization kernels over spans (batch, layer, group, instance and RMS norm), forward and fused
/// backward. Two layouts cover every layer: a tensor viewed as [outer, channels, inner] with one
/// statistic or coefficient per channel (or per (outer, channel)), and a tensor viewed as
/// [rows, length] with one statistic per row and an affine vector over the row. Each summand is
/// computed in float and added in double, so large batches stay accurate.
/// </summary>
public static class Norm
{
    // Rows accumulated into float column sums before they move into double.
    const int RowsPerFlush = ColumnNorm.RowsPerFlush;

    // ---------------------------------------------------------------- sums

    /// <summary>Σ x, in double.</summary>
    public static double Sum(ReadOnlySpan<float> x) => Accumulate<SumTerm>(x, x, 0f);

    /// <summary>Σ a·b, in double.</summary>
    public static double Dot(ReadOnlySpan<float> a, ReadOnlySpan<float> b)
    {
        if (a.Length != b.Length) throw new ArgumentException($"Norm.Dot: span lengths differ ({a.Length} and {b.Length})");
        return Accumulate<ProductTerm>(a, b, 0f);
    }

    /// <summary>Σ (x − center)², in double.</summary>
    public static double SumSquaredDeviation(ReadOnlySpan<float> x, float center) => Accumulate<SquaredDeviationTerm>(x, x, center);

    // A summand computed in float from a[i], b[i] and a constant; the sum runs in double.
    interface ITerm
    {
        static abstract float Invoke(float a, float b, float c);
        static abstract Vector256<float> Invoke(Vector256<float> a, Vector256<float> b, Vector256<float> c);
        static abstract Vector512<float> Invoke(Vector512<float> a, Vector512<float> b, Vector512<float> c);
    }

    readonly struct SumTerm : ITerm
    {
        public static float Invoke(float a, float b, float c) => a;
        public static Vector256<float> Invoke(Vector256<float> a, Vector256<float> b, Vector256<float> c) => a;
        public static Vector512<float> Invoke(Vector512<float> a, Vector512<float> b, Vector512<float> c) => a;
    }

    readonly struct ProductTerm : ITerm
    {
        public static float Invoke(float a, float b, float c) => a * b;
        public static Vector256<float> Invoke(Vector256<float> a, Vector256<float> b, Vector256<float> c) => a * b;
        public static Vector512<float> Invoke(Vector512<float> a, Vector512<float> b, Vector512<float> c) => a * b;
    }

    readonly struct SquaredDeviationTerm : ITerm
    {
        public static float Invoke(float a, float b, float c) => (a - c) * (a - c);
        public static Vector256<float> Invoke(Vector256<float> a, Vector256<float> b, Vector256<float> c) => (a - c) * (a - c);
        public static Vector512<float> Invoke(Vector512<float> a, Vector512<float> b, Vector512<float> c) => (a - c) * (a - c);
    }

    // Σ term(a[i], b[i], c): each float term is widened to double before it is added, so the sum's
    // error does not grow with the length.
    static double Accumulate<T>(ReadOnlySpan<float> a, ReadOnlySpan<float> b, float c) where T : struct, ITerm
    {
        ref float pa = ref MemoryMarshal.GetReference(a);
        ref float pb = ref MemoryMarshal.GetReference(b);
        nuint n = (nuint)a.Length, i = 0;
        double s = 0;
        if (Vector512.IsHardwareAccelerated && n >= 16)
        {
            var vc = Vector512.Create(c);
            Vector512<double> acc0 = Vector512<double>.Zero, acc1 = Vector512<double>.Zero;
            for (; i + 16 <= n; i += 16)
            {
                var (lo, hi) = Vector512.Widen(T.Invoke(Vector512.LoadUnsafe(ref pa, i), Vector512.LoadUnsafe(ref pb, i), vc));
                acc0 += lo;
                acc1 += hi;
            }
            s += Vector512.Sum(acc0 + acc1);
        }
        if (Vector256.IsHardwareAccelerated && i + 8 <= n)
        {
            var vc = Vector256.Create(c);
            Vector256<double> acc0 = Vector256<double>.Zero, acc1 = Vector256<double>.Zero;
            for (; i + 8 <= n; i += 8)
            {
                var (lo, hi) = Vector256.Widen(T.Invoke(Vector256.LoadUnsafe(ref pa, i), Vector256.LoadUnsafe(ref pb, i), vc));
                acc0 += lo;
                acc1 += hi;
            }
            s += Vector256.Sum(acc0 + acc1);
        }
        for (; i < n; i++) s += T.Invoke(Unsafe.Add(ref pa, i), Unsafe.Add(ref pb, i), c);
        return s;
    }

    // ---------------------------------------------------------------- statistics

    /// <summary>Mean and biased variance of each channel of <paramref name="x"/> viewed as
    /// [outer, channels, inner], over the outer·inner elements of the channel (batch norm).</summary>
    public static void ChannelMoments(ReadOnlySpan<float> x, int outer, int channels, int inner, Span<float> mean, Span<float> variance)
    {
        CheckLayout("Norm.ChannelMoments", x.Length, outer, channels, inner);
        CheckLength("Norm.ChannelMoments", "mean", mean.Length, channels);
        CheckLength("Norm.ChannelMoments", "variance", variance.Length, channels);
        double count = (double)outer * inner;
        if (count == 0) { mean.Fill(float.NaN); variance.Fill(float.NaN); return; }
        if (inner == 1) { ColumnMoments(x, outer, channels, mean, variance); return; }
        for (int c = 0; c < channels; c++)
        {
            double s = 0;
            for (int o = 0; o < outer; o++) s += Sum(x.Slice((o * channels + c) * inner, inner));
            float m = (float)(s / count);
            double q = 0;
            for (int o = 0; o < outer; o++) q += SumSquaredDeviation(x.Slice((o * channels + c) * inner, inner), m);
            mean[c] = m;
            variance[c] = (float)(q / count);
        }
    }

    // [rows, cols] with statistics per column: rows are added as vectors into float sums that move
    // into double every RowsPerFlush rows.
    static void ColumnMoments(ReadOnlySpan<float> x, int rows, int cols, Span<float> mean, Span<float> variance)
    {
        var acc = ArrayPool<float>.Shared.Rent(cols);
        var tmp = ArrayPool<float>.Shared.Rent(cols);
        var total = ArrayPool<double>.Shared.Rent(cols);
        try
        {
            var a = acc.AsSpan(0, cols);
            var d = tmp.AsSpan(0, cols);
            var t = total.AsSpan(0, cols);

            t.Clear(); a.Clear();
            for (int r = 0; r < rows; r++)
            {
                TensorPrimitives.Add(a, x.Slice(r * cols, cols), a);
                if ((r + 1) % RowsPerFlush == 0 || r == rows - 1) Flush(a, t);
            }
            for (int c = 0; c < cols; c++) mean[c] = (float)(t[c] / rows);

            t.Clear();
            for (int r = 0; r < rows; r++)
            {
                TensorPrimitives.Subtract(x.Slice(r * cols, cols), mean, d);
                TensorPrimitives.FusedMultiplyAdd(d, d, a, a);
                if ((r + 1) % RowsPerFlush == 0 || r == rows - 1) Flush(a, t);
            }
            for (int c = 0; c < cols; c++) variance[c] = (float)(t[c] / rows);
        }
        finally
        {
            ArrayPool<float>.Shared.Return(acc);
            ArrayPool<float>.Shared.Return(tmp);
            ArrayPool<double>.Shared.Return(total);
        }
    }

    // total += acc; acc = 0.
    static void Flush(Span<float> acc, Span<double> total)
    {
        for (int i = 0; i < acc.Length; i++) total[i] += acc[i];
        acc.Clear();
    }

    /// <summary>Mean and biased variance of each row of <paramref name="x"/> viewed as [rows, length]
    /// (layer, group and instance norm).</summary>
    public static void RowMoments(ReadOnlySpan<float> x, int rows, int length, Span<float> mean, Span<float> variance)
    {
        CheckLayout("Norm.RowMoments", x.Length, rows, length, 1);
        CheckLength("Norm.RowMoments", "mean", mean.Length, rows);
        CheckLength("Norm.RowMoments", "variance", variance.Length, rows);
        for (int r = 0; r < rows; r++)
        {
            var row = x.Slice(r * length, length);
            float m = (float)(Sum(row) / length);
            mean[r] = m;
            variance[r] = (float)(SumSquaredDeviation(row, m) / length);
        }
    }

    /// <summary>Mean of x² over each row of <paramref name="x"/> viewed as [rows, length] (RMS norm).</summary>
    public static void RowMeanSquares(ReadOnlySpan<float> x, int rows, int length, Span<float> meanSquare)
    {
        CheckLayout("Norm.RowMeanSquares", x.Length, rows, length, 1);
        CheckLength("Norm.RowMeanSquares", "meanSquare", meanSquare.Length, rows);
        for (int r = 0; r < rows; r++)
        {
            var row = x.Slice(r * length, length);
            meanSquare[r] = (float)(Dot(row, row) / length);
        }
    }

    // ---------------------------------------------------------------- channel layout: forward and backward

    /// <summary>y = x·scale + shift for <paramref name="x"/> viewed as [outer, channels, inner], with one
    /// (scale, shift) per channel (length channels) or per (outer, channel) (length outer·channels).
    /// Normalize and affine in one pass: scale = γ/σ, shift = β − μ·γ/σ.</summary>
    public static void ChannelScaleShift(ReadOnlySpan<float> x, Span<float> y, int outer, int channels, int inner, ReadOnlySpan<float> scale, ReadOnlySpan<float> shift,
        bool relu = false)
    {
        CheckLayout("Norm.ChannelScaleShift", x.Length, outer, channels, inner);
        CheckLength("Norm.ChannelScaleShift", "y", y.Length, x.Length);
        bool perOuter = CheckCoefficients("Norm.ChannelScaleShift", outer, channels, scale.Length, shift.Length);
        for (int o = 0; o < outer; o++)
        {
            var sc = perOuter ? scale.Slice(o * channels, channels) : scale;
            var sh = perOuter ? shift.Slice(o * channels, channels) : shift;
            int at = o * channels * inner;
            if (inner == 1)
            {
                TensorPrimitives.MultiplyAdd(x.Slice(at, channels), sc, sh, y.Slice(at, channels));
                if (relu) Elementwise.Apply(new ReluOp(), y.Slice(at, channels), y.Slice(at, channels));
            }
            else if (relu)
                for (int c = 0; c < channels; c++, at += inner)
                    ScaleShift<ReluOp>(x.Slice(at, inner), sc[c], sh[c], y.Slice(at, inner));
            else
                for (int c = 0; c < channels; c++, at += inner)
                    ScaleShift<IdentityOp>(x.Slice(at, inner), sc[c], sh[c], y.Slice(at, inner));
        }
    }

    /// <summary>Σ g and Σ g·x per channel (length channels) or per (outer, channel) (length outer·channels)
    /// of g and x viewed as [outer, channels, inner], in double. Overwrites the sums.
    /// From them: Σ g·x̂ = (Σ g·x − μ·Σ g)/σ, the batch-norm dγ; Σ g is dβ.</summary>
    public static void ChannelGradSums(ReadOnlySpan<float> g, ReadOnlySpan<float> x, int outer, int channels, int inner, Span<double> sumG, Span<double> sumGX)
    {
        CheckLayout("Norm.ChannelGradSums", x.Length, outer, channels, inner);
        CheckLength("Norm.ChannelGradSums", "g", g.Length, x.Length);
        bool perOuter = CheckCoefficients("Norm.ChannelGradSums", outer, channels, sumG.Length, sumGX.Length);
        sumG.Clear();
        sumGX.Clear();
        if (inner == 1 && !perOuter)
        {
            ColumnGradSums(g, x, outer, channels, sumG, sumGX);
            return;
        }
        for (int o = 0, at = 0; o < outer; o++)
            for (int c = 0; c < channels; c++, at += inner)
            {
                int k = perOuter ? o * channels + c : c;
                var gb = g.Slice(at, inner);
                sumG[k] += Sum(gb);
                sumGX[k] += Dot(gb, x.Slice(at, inner));
            }
    }

    static void ColumnGradSums(ReadOnlySpan<float> g, ReadOnlySpan<float> x, int rows, int cols, Span<double> sumG, Span<double> sumGX)
    {
        var accG = ArrayPool<float>.Shared.Rent(cols);
        var accGX = ArrayPool<float>.Shared.Rent(cols);
        try
        {
            var a = accG.AsSpan(0, cols);
            var b = accGX.AsSpan(0, cols);
            a.Clear(); b.Clear();
            for (int r = 0; r < rows; r++)
            {
                var gr = g.Slice(r * cols, cols);
                TensorPrimitives.Add(a, gr, a);
                TensorPrimitives.FusedMultiplyAdd(gr, x.Slice(r * cols, cols), b, b);
                if ((r + 1) % RowsPerFlush == 0 || r == rows - 1) { Flush(a, sumG); Flush(b, sumGX); }
            }
        }
        finally
        {
            ArrayPool<float>.Shared.Return(accG);
            ArrayPool<float>.Shared.Return(accGX);
        }
    }

    /// <summary>dx += a·g + b·x + c (dx = … when <paramref name="overwrite"/>) for g, x, dx viewed as [outer, channels, inner],
    /// with (a, b, c) per channel or per (outer, channel). The fused normalization backward: for batch norm in training
    /// dx = (γ/σ)·(g − mean(g) − x̂·mean(g·x̂)) is a = γ/σ, b = −(γ/σ)·mean(g·x̂)/σ, c = −a·mean(g) − b·μ.</summary>
    public static void ChannelAccumulateLinear(ReadOnlySpan<float> g, ReadOnlySpan<float> x, Span<float> dx, int outer, int channels, int inner,
        ReadOnlySpan<float> a, ReadOnlySpan<float> b, ReadOnlySpan<float> c, bool overwrite = false)
    {
        CheckLayout("Norm.ChannelAccumulateLinear", x.Length, outer, channels, inner);
        CheckLength("Norm.ChannelAccumulateLinear", "g", g.Length, x.Length);
        CheckLength("Norm.ChannelAccumulateLinear", "dx", dx.Length, x.Length);
        bool perOuter = CheckCoefficients("Norm.ChannelAccumulateLinear", outer, channels, a.Length, b.Length);
        CheckLength("Norm.ChannelAccumulateLinear", "c", c.Length, a.Length);
        for (int o = 0; o < outer; o++)
        {
            int k0 = perOuter ? o * channels : 0;
            int at = o * channels * inner;
            if (inner == 1)
                AccumulateLinear(g.Slice(at, channels), x.Slice(at, channels), dx.Slice(at, channels),
                    a.Slice(k0, channels), b.Slice(k0, channels), c.Slice(k0, channels), overwrite);
            else
                for (int ch = 0; ch < channels; ch++, at += inner)
                    AccumulateLinear(g.Slice(at, inner), x.Slice(at, inner), dx.Slice(at, inner), a[k0 + ch], b[k0 + ch], c[k0 + ch], overwrite);
        }
    }

    // y = f(a·x + b), f the identity or an activation fused into the same pass.
    static void ScaleShift<TF>(ReadOnlySpan<float> x, float a, float b, Span<float> y) where TF : struct, IUnaryOperator
    {
        var f = default(TF);
        ref float px = ref MemoryMarshal.GetReference(x);
        ref float py = ref MemoryMarshal.GetReference(y);
        nuint n = (nuint)x.Length, i = 0;
        if (Vector512.IsHardwareAccelerated)
        {
            Vector512<float> va = Vector512.Create(a), vb = Vector512.Create(b);
            for (; i + 16 <= n; i += 16) f.Invoke(Vector512.FusedMultiplyAdd(Vector512.LoadUnsafe(ref px, i), va, vb)).StoreUnsafe(ref py, i);
        }
        if (Vector256.IsHardwareAccelerated)
        {
            Vector256<float> va = Vector256.Create(a), vb = Vector256.Create(b);
            for (; i + 8 <= n; i += 8) f.Invoke(Vector256.FusedMultiplyAdd(Vector256.LoadUnsafe(ref px, i), va, vb)).StoreUnsafe(ref py, i);
        }
        for (; i < n; i++) Unsafe.Add(ref py, i) = f.Invoke(MathF.FusedMultiplyAdd(Unsafe.Add(ref px, i), a, b));
    }

    // d += a·g + b·x + c (d = … when overwrite) with scalar coefficients.
    static void AccumulateLinear(ReadOnlySpan<float> g, ReadOnlySpan<float> x, Span<float> d, float a, float b, float c, bool overwrite)
    {
        ref float pg = ref MemoryMarshal.GetReference(g);
        ref float px = ref MemoryMarshal.GetReference(x);
        ref float pd = ref MemoryMarshal.GetReference(d);
        nuint n = (nuint)d.Length, i = 0;
        if (Vector512.IsHardwareAccelerated)
        {
            Vector512<float> va = Vector512.Create(a), vb = Vector512.Create(b), vc = Vector512.Create(c);
            for (; i + 16 <= n; i += 16)
            {
                var t = Vector512.FusedMultiplyAdd(vb, Vector512.LoadUnsafe(ref px, i), vc);
                t = Vector512.FusedMultiplyAdd(va, Vector512.LoadUnsafe(ref pg, i), t);
                (overwrite ? t : Vector512.LoadUnsafe(ref pd, i) + t).StoreUnsafe(ref pd, i);
            }
        }
        if (Vector256.IsHardwareAccelerated)
        {
            Vector256<float> va = Vector256.Create(a), vb = Vector256.Create(b), vc = Vector256.Create(c);
            for (; i + 8 <= n; i += 8)
            {
                var t = Vector256.FusedMultiplyAdd(vb, Vector256.LoadUnsafe(ref px, i), vc);
                t = Vector256.FusedMultiplyAdd(va, Vector256.LoadUnsafe(ref pg, i), t);
                (overwrite ? t : Vector256.LoadUnsafe(ref pd, i) + t).StoreUnsafe(ref pd, i);
            }
        }
        for (; i < n; i++)
        {
            float t = MathF.FusedMultiplyAdd(a, Unsafe.Add(ref pg, i), MathF.FusedMultiplyAdd(b, Unsafe.Add(ref px, i), c));
            Unsafe.Add(ref pd, i) = overwrite ? t : Unsafe.Add(ref pd, i) + t;
        }
    }

    // d += a·g + b·x + c (d = … when overwrite) with coefficient vectors.
    static void AccumulateLinear(ReadOnlySpan<float> g, ReadOnlySpan<float> x, Span<float> d, ReadOnlySpan<float> a, ReadOnlySpan<float> b, ReadOnlySpan<float> c, bool overwrite)
    {
        ref float pg = ref MemoryMarshal.GetReference(g);
        ref float px = ref MemoryMarshal.GetReference(x);
        ref float pd = ref MemoryMarshal.GetReference(d);
        ref float pa = ref MemoryMarshal.GetReference(a);
        ref float pb = ref MemoryMarshal.GetReference(b);
        ref float pc = ref MemoryMarshal.GetReference(c);
        nuint n = (nuint)d.Length, i = 0;
        if (Vector512.IsHardwareAccelerated)
            for (; i + 16 <= n; i += 16)
            {
                var t = Vector512.FusedMultiplyAdd(Vector512.LoadUnsafe(ref pb, i), Vector512.LoadUnsafe(ref px, i), Vector512.LoadUnsafe(ref pc, i));
                t = Vector512.FusedMultiplyAdd(Vector512.LoadUnsafe(ref pa, i), Vector512.LoadUnsafe(ref pg, i), t);
                (overwrite ? t : Vector512.LoadUnsafe(ref pd, i) + t).StoreUnsafe(ref pd, i);
            }
        if (Vector256.IsHardwareAccelerated)
            for (; i + 8 <= n; i += 8)
            {
                var t = Vector256.FusedMultiplyAdd(Vector256.LoadUnsafe(ref pb, i), Vector256.LoadUnsafe(ref px, i), Vector256.LoadUnsafe(ref pc, i));
                t = Vector256.FusedMultiplyAdd(Vector256.LoadUnsafe(ref pa, i), Vector256.LoadUnsafe(ref pg, i), t);
                (overwrite ? t : Vector256.LoadUnsafe(ref pd, i) + t).StoreUnsafe(ref pd, i);
            }
        for (; i < n; i++)
        {
            float t = MathF.FusedMultiplyAdd(Unsafe.Add(ref pa, i), Unsafe.Add(ref pg, i),
                MathF.FusedMultiplyAdd(Unsafe.Add(ref pb, i), Unsafe.Add(ref px, i), Unsafe.Add(ref pc, i)));
            Unsafe.Add(ref pd, i) = overwrite ? t : Unsafe.Add(ref pd, i) + t;
        }
    }

    // ---------------------------------------------------------------- row layout: forward and backward

    /// <summary>y = (x − μ_r)·rstd_r·γ + β for each row r of <paramref name="x"/> viewed as [rows, length]
    /// (layer norm; RMS norm with an empty <paramref name="mean"/>, i.e. μ = 0). γ and β have the row's
    /// length, or are empty for none.</summary>
    public static void RowNormalize(ReadOnlySpan<float> x, Span<float> y, int rows, int length, ReadOnlySpan<float> mean, ReadOnlySpan<float> rstd,
        ReadOnlySpan<float> gamma, ReadOnlySpan<float> beta)
    {
        CheckLayout("Norm.RowNormalize", x.Length, rows, length, 1);
        CheckLength("Norm.RowNormalize", "y", y.Length, x.Length);
        CheckLength("Norm.RowNormalize", "rstd", rstd.Length, rows);
        if (!mean.IsEmpty) CheckLength("Norm.RowNormalize", "mean", mean.Length, rows);
        if (!gamma.IsEmpty) CheckLength("Norm.RowNormalize", "gamma", gamma.Length, length);
        if (!beta.IsEmpty) CheckLength("Norm.RowNormalize", "beta", beta.Length, length);
        for (int r = 0; r < rows; r++)
        {
            var xr = x.Slice(r * length, length);
            var yr = y.Slice(r * length, length);
            float s = rstd[r], m = mean.IsEmpty ? 0f : mean[r];
            ScaleShift<IdentityOp>(xr, s, -m * s, yr);
            if (!gamma.IsEmpty && !beta.IsEmpty) TensorPrimitives.MultiplyAdd(yr, gamma, beta, yr);
            else if (!gamma.IsEmpty) TensorPrimitives.Multiply(yr, gamma, yr);
            else if (!beta.IsEmpty) TensorPrimitives.Add(yr, beta, yr);
        }
    }

    /// <summary>
    /// Fused backward of <see cref="RowNormalize"/>. With x̂ = (x − μ)·rstd and ĝ = g·γ per row of n elements:
    /// dx += rstd·(ĝ − mean(ĝ) − x̂·mean(ĝ·x̂)) (layer norm), or dx += rstd·(ĝ − x̂·mean(ĝ·x̂)) when
    /// <paramref name="mean"/> is empty (RMS norm, μ = 0); dγ += Σ_rows g·x̂, dβ += Σ_rows g.
    /// Empty <paramref name="dx"/>, <paramref name="dGamma"/> or <paramref name="dBeta"/> skip that gradient.
    /// </summary>
    public static void RowNormalizeBackward(ReadOnlySpan<float> g, ReadOnlySpan<float> x, int rows, int length, ReadOnlySpan<float> mean, ReadOnlySpan<float> rstd,
        ReadOnlySpan<float> gamma, Span<float> dx, Span<double> dGamma, Span<double> dBeta)
    {
        CheckLayout("Norm.RowNormalizeBackward", x.Length, rows, length, 1);
        CheckLength("Norm.RowNormalizeBackward", "g", g.Length, x.Length);
        CheckLength("Norm.RowNormalizeBackward", "rstd", rstd.Length, rows);
        if (!mean.IsEmpty) CheckLength("Norm.RowNormalizeBackward", "mean", mean.Length, rows);
        if (!gamma.IsEmpty) CheckLength("Norm.RowNormalizeBackward", "gamma", gamma.Length, length);
        if (!dx.IsEmpty) CheckLength("Norm.RowNormalizeBackward", "dx", dx.Length, x.Length);
        if (!dGamma.IsEmpty) CheckLength("Norm.RowNormalizeBackward", "dGamma", dGamma.Length, length);
        if (!dBeta.IsEmpty) CheckLength("Norm.RowNormalizeBackward", "dBeta", dBeta.Length, length);
        if (rows == 0 || length == 0) return;
        var buffers = ArrayPool<float>.Shared.Rent(4 * length);
        try
        {
            var xh = buffers.AsSpan(0, length);
            var gh = buffers.AsSpan(length, length);
            var accG = buffers.AsSpan(2 * length, length);
            var accB = buffers.AsSpan(3 * length, length);
            accG.Clear(); accB.Clear();
            for (int r = 0; r < rows; r++)
            {
                var gr = g.Slice(r * length, length);
                float s = rstd[r], m = mean.IsEmpty ? 0f : mean[r];
                ScaleShift<IdentityOp>(x.Slice(r * length, length), s, -m * s, xh);
                if (!dGamma.IsEmpty) TensorPrimitives.FusedMultiplyAdd(gr, xh, accG, accG);
                if (!dBeta.IsEmpty) TensorPrimitives.Add(accB, gr, accB);
                if ((r + 1) % RowsPerFlush == 0 || r == rows - 1)
                {
                    if (!dGamma.IsEmpty) Flush(accG, dGamma);
                    if (!dBeta.IsEmpty) Flush(accB, dBeta);
                }
                if (dx.IsEmpty) continue;
                ReadOnlySpan<float> gg = gr;
                if (!gamma.IsEmpty) { TensorPrimitives.Multiply(gr, gamma, gh); gg = gh; }
                float meanG = mean.IsEmpty ? 0f : (float)(Sum(gg) / length);
                float meanGX = (float)(Dot(gg, xh) / length);
                var dr = dx.Slice(r * length, length);
                // dx += s·ĝ − s·mean(ĝ) − (s·mean(ĝ·x̂))·x̂
                AccumulateLinear(gg, xh, dr, s, -s * meanGX, -s * meanG, overwrite: false);
            }
        }
        finally
        {
            ArrayPool<float>.Shared.Return(buffers);
        }
    }

    // ---------------------------------------------------------------- checks

    static void CheckLayout(string op, int length, int outer, int channels, int inner)
    {
        if (outer < 0 || channels < 0 || inner < 0 || (long)outer * channels * inner != length)
            throw new ArgumentException($"{op}: layout [{outer}, {channels}, {inner}] does not match {length} elements");
    }

    static void CheckLength(string op, string name, int actual, int expected)
    {
        if (actual != expected) throw new ArgumentException($"{op}: {name} has {actual} elements, expected {expected}");
    }

    // True when the coefficients are per (outer, channel), false when per channel.
    static bool CheckCoefficients(string op, int outer, int channels, int first, int second)
    {
        if (first != second) throw new ArgumentException($"{op}: coefficient lengths differ ({first} and {second})");
        if (first == channels) return false;
        if (first == outer * channels) return true;
        throw new ArgumentException($"{op}: {first} coefficients, expected {channels} (per channel) or {outer * channels} (per outer and channel)");
    }
}
