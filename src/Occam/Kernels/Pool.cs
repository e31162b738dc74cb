using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Occam.Kernels;

/// <summary>
/// 2-D max and average pooling over NCHW planes with PyTorch's semantics
/// (max_pool2d / avg_pool2d with dilation 1). With ceilMode the output size rounds up, as ceil_mode=True: a last window
/// may run past the input (it is clipped there, and avg's divisor counts it up to the padded edge, as PyTorch), but it
/// always starts inside the input or its left padding.
/// </summary>
public static class Pool
{
    /// <summary>max_pool2d: output[p, oh, ow] = max over the window at (oh·sH − pH, ow·sW − pW) clipped to the input (padding is −∞); argmax = ih·w + iw of the first maximum in scan order, or of the last NaN, which propagates.</summary>
    public static void MaxForward(ReadOnlySpan<float> input, int n, int c, int h, int w,
        int kH, int kW, int sH, int sW, int pH, int pW, Span<float> output, Span<int> argmax, bool ceilMode = false)
    {
        const string op = "MaxPool2d";
        var (outH, outW) = Check(op, "input", input.Length, n, c, h, w, kH, kW, sH, sW, pH, pW, ceilMode);
        long needed = (long)n * c * outH * outW;
        Im2Col.CheckLength(op, "output", output.Length, needed);
        Im2Col.CheckLength(op, "argmax", argmax.Length, needed);

        int planes = n * c, inPlane = h * w, outPlane = outH * outW;
        bool fast = Whole2x2(kH, kW, sH, sW, pH, pW, h, w, outH, outW);
        for (int p = 0; p < planes; p++)
        {
            ReadOnlySpan<float> x = input.Slice(p * inPlane, inPlane);
            Span<float> y = output.Slice(p * outPlane, outPlane);
            Span<int> idx = argmax.Slice(p * outPlane, outPlane);
            if (fast)
            {
                for (int oh = 0; oh < outH; oh++)
                    Max2x2Row(x.Slice(2 * oh * w), w, 2 * oh * w, y.Slice(oh * outW, outW), idx.Slice(oh * outW, outW));
                continue;
            }
            ref float xr = ref MemoryMarshal.GetReference(x);
            for (int oh = 0; oh < outH; oh++)
            {
                int ih0 = oh * sH - pH, ih1 = Math.Min(ih0 + kH, h);
                ih0 = Math.Max(ih0, 0);
                for (int ow = 0; ow < outW; ow++)
                {
                    int iw0 = ow * sW - pW, iw1 = Math.Min(iw0 + kW, w);
                    iw0 = Math.Max(iw0, 0);
                    int best = ih0 * w + iw0;
                    float max = float.NegativeInfinity;
                    for (int ih = ih0; ih < ih1; ih++)
                        for (int iw = iw0; iw < iw1; iw++)
                        {
                            int i = ih * w + iw;
                            float v = Unsafe.Add(ref xr, i);
                            if (v > max || float.IsNaN(v)) { max = v; best = i; }
                        }
                    y[oh * outW + ow] = max;
                    idx[oh * outW + ow] = best;
                }
            }
        }
    }

    /// <summary>max_pool2d backward: inputGrad[p, argmax[p, o]] += outputGrad[p, o] for every plane p and output position o.
    /// With <paramref name="overwrite"/> each plane of inputGrad is zeroed first, just before its scatter (so it is
    /// still in cache), instead of added to.</summary>
    public static void MaxBackward(ReadOnlySpan<float> outputGrad, ReadOnlySpan<int> argmax, int n, int c, int h, int w,
        int outH, int outW, Span<float> inputGrad, bool overwrite = false)
    {
        const string op = "MaxPool2d";
        if (n < 0 || c < 0 || h < 1 || w < 1 || outH < 1 || outW < 1)
            throw new ArgumentException($"{op}: backward sizes must be positive, got n={n}, c={c}, input [{h}, {w}], output [{outH}, {outW}]");
        long needed = (long)n * c * outH * outW;
        Im2Col.CheckLength(op, "outputGrad", outputGrad.Length, needed);
        Im2Col.CheckLength(op, "argmax", argmax.Length, needed);
        Im2Col.CheckLength(op, "inputGrad", inputGrad.Length, (long)n * c * h * w);

        int planes = n * c, inPlane = h * w, outPlane = outH * outW;
        for (int p = 0; p < planes; p++)
        {
            ReadOnlySpan<float> g = outputGrad.Slice(p * outPlane, outPlane);
            ReadOnlySpan<int> idx = argmax.Slice(p * outPlane, outPlane);
            var plane = inputGrad.Slice(p * inPlane, inPlane);
            if (overwrite) plane.Clear();
            ref float dx = ref MemoryMarshal.GetReference(plane);
            for (int o = 0; o < g.Length; o++)
            {
                int i = idx[o];
                if ((uint)i >= (uint)inPlane)
                    throw new ArgumentException($"{op}: argmax {i} at plane {p}, output {o} is outside the {h}x{w} input plane");
                Unsafe.Add(ref dx, i) += g[o];
            }
        }
    }

    /// <summary>avg_pool2d: output = Σ window ∩ input / divisor, divisor = (min(hs + kH, h + pH) − hs)·(min(ws + kW, w + pW) − ws) when countIncludePad, else the number of real input elements in the window.</summary>
    public static void AvgForward(ReadOnlySpan<float> input, int n, int c, int h, int w,
        int kH, int kW, int sH, int sW, int pH, int pW, bool countIncludePad, Span<float> output, bool ceilMode = false)
    {
        const string op = "AvgPool2d";
        var (outH, outW) = Check(op, "input", input.Length, n, c, h, w, kH, kW, sH, sW, pH, pW, ceilMode);
        Im2Col.CheckLength(op, "output", output.Length, (long)n * c * outH * outW);

        int planes = n * c, inPlane = h * w, outPlane = outH * outW;
        bool fast = Whole2x2(kH, kW, sH, sW, pH, pW, h, w, outH, outW);
        for (int p = 0; p < planes; p++)
        {
            ReadOnlySpan<float> x = input.Slice(p * inPlane, inPlane);
            ref float xr = ref MemoryMarshal.GetReference(x);
            Span<float> y = output.Slice(p * outPlane, outPlane);
            if (fast)
            {
                for (int oh = 0; oh < outH; oh++)
                    Avg2x2Row(x, w, 2 * oh, y.Slice(oh * outW, outW));
                continue;
            }
            for (int oh = 0; oh < outH; oh++)
                for (int ow = 0; ow < outW; ow++)
                {
                    var (ih0, ih1, iw0, iw1, divisor) = AvgWindow(oh, ow, h, w, kH, kW, sH, sW, pH, pW, countIncludePad);
                    float sum = 0;
                    for (int ih = ih0; ih < ih1; ih++)
                        for (int iw = iw0; iw < iw1; iw++)
                            sum += Unsafe.Add(ref xr, ih * w + iw);
                    y[oh * outW + ow] = divisor == 0 ? 0 : sum / divisor;
                }
        }
    }

    /// <summary>avg_pool2d backward: inputGrad[window ∩ input] += outputGrad / divisor, with the divisor of <see cref="AvgForward"/>.</summary>
    public static void AvgBackward(ReadOnlySpan<float> outputGrad, int n, int c, int h, int w,
        int kH, int kW, int sH, int sW, int pH, int pW, bool countIncludePad, Span<float> inputGrad, bool ceilMode = false)
    {
        const string op = "AvgPool2d";
        var (outH, outW) = Check(op, "inputGrad", inputGrad.Length, n, c, h, w, kH, kW, sH, sW, pH, pW, ceilMode);
        Im2Col.CheckLength(op, "outputGrad", outputGrad.Length, (long)n * c * outH * outW);

        int planes = n * c, inPlane = h * w, outPlane = outH * outW;
        bool fast = Whole2x2(kH, kW, sH, sW, pH, pW, h, w, outH, outW);
        for (int p = 0; p < planes; p++)
        {
            ref float dx = ref MemoryMarshal.GetReference(inputGrad.Slice(p * inPlane, inPlane));
            ReadOnlySpan<float> g = outputGrad.Slice(p * outPlane, outPlane);
            if (fast)
            {
                // Every window is whole: each input gets a quarter of its one output's gradient.
                ref float gr = ref MemoryMarshal.GetReference(g);
                for (int oh = 0; oh < outH; oh++)
                {
                    ref float top = ref Unsafe.Add(ref dx, 2 * oh * w);
                    ref float bottom = ref Unsafe.Add(ref top, w);
                    ref float grow = ref Unsafe.Add(ref gr, oh * outW);
                    for (int ow = 0; ow < outW; ow++)
                    {
                        float delta = Unsafe.Add(ref grow, ow) * 0.25f;
                        Unsafe.Add(ref top, 2 * ow) += delta;
                        Unsafe.Add(ref top, 2 * ow + 1) += delta;
                        Unsafe.Add(ref bottom, 2 * ow) += delta;
                        Unsafe.Add(ref bottom, 2 * ow + 1) += delta;
                    }
                }
                continue;
            }
            for (int oh = 0; oh < outH; oh++)
                for (int ow = 0; ow < outW; ow++)
                {
                    var (ih0, ih1, iw0, iw1, divisor) = AvgWindow(oh, ow, h, w, kH, kW, sH, sW, pH, pW, countIncludePad);
                    if (divisor == 0) continue;
                    float delta = g[oh * outW + ow] / divisor;
                    for (int ih = ih0; ih < ih1; ih++)
                        for (int iw = iw0; iw < iw1; iw++)
                            Unsafe.Add(ref dx, ih * w + iw) += delta;
                }
        }
    }

    // PyTorch's cpu_avg_pool: the count_include_pad divisor is taken before clipping to the real input.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static (int Ih0, int Ih1, int Iw0, int Iw1, int Divisor) AvgWindow(int oh, int ow, int h, int w,
        int kH, int kW, int sH, int sW, int pH, int pW, bool countIncludePad)
    {
        int ih0 = oh * sH - pH, iw0 = ow * sW - pW;
        int ih1 = Math.Min(ih0 + kH, h + pH), iw1 = Math.Min(iw0 + kW, w + pW);
        int poolSize = (ih1 - ih0) * (iw1 - iw0);
        ih0 = Math.Max(ih0, 0); iw0 = Math.Max(iw0, 0);
        ih1 = Math.Min(ih1, h); iw1 = Math.Min(iw1, w);
        if (ih0 >= ih1 || iw0 >= iw1) return (0, 0, 0, 0, 0);
        return (ih0, ih1, iw0, iw1, countIncludePad ? poolSize : (ih1 - ih0) * (iw1 - iw0));
    }

    /// <summary>The backward of ReLU → 2×2 stride-2 max pool for one plane of h × w: <paramref name="into"/> gets, at
    /// each window's argmax, the output's gradient where the output passed the ReLU (y &gt; 0 or NaN), and 0 everywhere
    /// else; bit for bit the ReLU's mask followed by <see cref="MaxBackward"/> into a cleared plane (0 + g). The argmax
    /// indices are <see cref="Max2x2Row"/>'s, within the plane. Eight (or four) windows at a time: each lane picks its gradient
    /// for the four places of its window, and the two rows are written whole, so no element is scattered.</summary>
    internal static void Max2x2ReluBackward(ReadOnlySpan<float> g, ReadOnlySpan<float> y, ReadOnlySpan<int> argmax, int h, int w, Span<float> into)
    {
        int oh = h / 2, ow = w / 2;
        if (g.Length < oh * ow || y.Length < oh * ow || argmax.Length < oh * ow || into.Length < h * w)
            throw new ArgumentException($"MaxPool2d: backward of a {h}x{w} plane needs {oh * ow} outputs and {h * w} inputs, got {g.Length}, {y.Length}, {argmax.Length} and {into.Length}");
        // An odd last row or column belongs to no window.
        if (2 * ow < w) into.Clear();
        else if (2 * oh < h) into.Slice(2 * oh * w, w).Clear();
        ref float pg = ref MemoryMarshal.GetReference(g);
        ref float py = ref MemoryMarshal.GetReference(y);
        ref int pi = ref MemoryMarshal.GetReference(argmax);
        ref float pd = ref MemoryMarshal.GetReference(into);
        for (int r = 0; r < oh; r++)
        {
            int rowBase = 2 * r * w, at = r * ow, o = 0;
            ref float top = ref Unsafe.Add(ref pd, rowBase);
            ref float bottom = ref Unsafe.Add(ref top, w);
            if (Avx2.IsSupported && ow >= 8)
            {
                // The last group overlaps the one before it (the same values written again): no scalar tail, whose
                // branch on the ReLU's mask mispredicts on random data.
                var lanes = Vector256.Create(0, 2, 4, 6, 8, 10, 12, 14);
                var right = Vector256.Create(1);
                var below = Vector256.Create(w);
                var belowRight = Vector256.Create(w + 1);
                for (; o < ow; o += 8)
                {
                    if (o + 8 > ow) o = ow - 8;
                    var passed = Vector256.LoadUnsafe(ref py, (nuint)(at + o));
                    var gate = Vector256.ConditionalSelect(Vector256.LessThanOrEqual(passed, Vector256<float>.Zero), Vector256<float>.Zero,
                        Vector256.LoadUnsafe(ref pg, (nuint)(at + o)));
                    gate = Vector256<float>.Zero + gate; // 0 + g, as the pool's backward adds into a cleared plane
                    var off = Vector256.LoadUnsafe(ref pi, (nuint)(at + o)) - lanes - Vector256.Create(rowBase + 2 * o);
                    var a = gate & Vector256.Equals(off, Vector256<int>.Zero).AsSingle();
                    var b = gate & Vector256.Equals(off, right).AsSingle();
                    var c = gate & Vector256.Equals(off, below).AsSingle();
                    var d = gate & Vector256.Equals(off, belowRight).AsSingle();
                    // lanes 0..7 are windows o..o+7: interleave a, b into the top row's 16 elements, c, d into the bottom's
                    var ab0 = Avx.UnpackLow(a, b); var ab1 = Avx.UnpackHigh(a, b);
                    var cd0 = Avx.UnpackLow(c, d); var cd1 = Avx.UnpackHigh(c, d);
                    Avx.Permute2x128(ab0, ab1, 0x20).StoreUnsafe(ref top, (nuint)(2 * o));
                    Avx.Permute2x128(ab0, ab1, 0x31).StoreUnsafe(ref top, (nuint)(2 * o + 8));
                    Avx.Permute2x128(cd0, cd1, 0x20).StoreUnsafe(ref bottom, (nuint)(2 * o));
                    Avx.Permute2x128(cd0, cd1, 0x31).StoreUnsafe(ref bottom, (nuint)(2 * o + 8));
                }
            }
            else if (Sse2.IsSupported && ow >= 4)
            {
                var lanes = Vector128.Create(0, 2, 4, 6);
                var right = Vector128.Create(1);
                var below = Vector128.Create(w);
                var belowRight = Vector128.Create(w + 1);
                for (; o < ow; o += 4)
                {
                    if (o + 4 > ow) o = ow - 4;
                    var passed = Vector128.LoadUnsafe(ref py, (nuint)(at + o));
                    var gate = Vector128.ConditionalSelect(Vector128.LessThanOrEqual(passed, Vector128<float>.Zero), Vector128<float>.Zero,
                        Vector128.LoadUnsafe(ref pg, (nuint)(at + o)));
                    gate = Vector128<float>.Zero + gate;
                    var off = Vector128.LoadUnsafe(ref pi, (nuint)(at + o)) - lanes - Vector128.Create(rowBase + 2 * o);
                    var a = gate & Vector128.Equals(off, Vector128<int>.Zero).AsSingle();
                    var b = gate & Vector128.Equals(off, right).AsSingle();
                    var c = gate & Vector128.Equals(off, below).AsSingle();
                    var d = gate & Vector128.Equals(off, belowRight).AsSingle();
                    Sse.UnpackLow(a, b).StoreUnsafe(ref top, (nuint)(2 * o));
                    Sse.UnpackHigh(a, b).StoreUnsafe(ref top, (nuint)(2 * o + 4));
                    Sse.UnpackLow(c, d).StoreUnsafe(ref bottom, (nuint)(2 * o));
                    Sse.UnpackHigh(c, d).StoreUnsafe(ref bottom, (nuint)(2 * o + 4));
                }
            }
            for (; o < ow; o++)
            {
                int col = 2 * o;
                Unsafe.Add(ref top, col) = 0; Unsafe.Add(ref top, col + 1) = 0;
                Unsafe.Add(ref bottom, col) = 0; Unsafe.Add(ref bottom, col + 1) = 0;
                int i = Unsafe.Add(ref pi, at + o) - rowBase - col;
                if (i != 0 && i != 1 && i != w && i != w + 1)
                    throw new ArgumentException($"MaxPool2d: argmax {Unsafe.Add(ref pi, at + o)} of output ({r}, {o}) is outside its 2x2 window");
                float passed = Unsafe.Add(ref py, at + o);
                Unsafe.Add(ref top, col + i) = 0 + (passed <= 0 ? 0 : Unsafe.Add(ref pg, at + o));
            }
        }
    }

    /// <summary>One output row of the 2×2 stride-2 max pool from the two input rows of width <paramref name="w"/> that
    /// start <paramref name="x"/>; the argmax indices count from <paramref name="rowBase"/>, the plane index of the top
    /// row's first element. Candidates in scan order a = (top, 2o), b = (top, 2o+1), c = (bottom, 2o),
    /// d = (bottom, 2o+1); the first maximum wins, a NaN propagates.</summary>
    internal static void Max2x2Row(ReadOnlySpan<float> x, int w, int rowBase, Span<float> y, Span<int> idx)
    {
        if (x.Length < 2 * w || 2 * y.Length > w || idx.Length < y.Length)
            throw new ArgumentException($"MaxPool2d: a row pair of {x.Length} elements at width {w} cannot give {y.Length} outputs");
        ref float top = ref MemoryMarshal.GetReference(x);
        ref float bottom = ref Unsafe.Add(ref top, w);
        ref float yr = ref MemoryMarshal.GetReference(y);
        ref int ir = ref MemoryMarshal.GetReference(idx);
        int outW = y.Length, o = 0;

        if (Avx2.IsSupported && outW >= 8)
        {
            // Lane l of the deinterleaved vectors holds output o + perm[l]; one 64-bit permute restores order at the end.
            var offsets = Vector256.Create(0, 2, 8, 10, 4, 6, 12, 14);
            var offB = Vector256.Create(1);
            var offC = Vector256.Create(w);
            var offD = Vector256.Create(w + 1);
            for (; o + 8 <= outW; o += 8)
            {
                int col = 2 * o;
                var t0 = Vector256.LoadUnsafe(ref top, (nuint)col);
                var t1 = Vector256.LoadUnsafe(ref top, (nuint)(col + 8));
                var b0 = Vector256.LoadUnsafe(ref bottom, (nuint)col);
                var b1 = Vector256.LoadUnsafe(ref bottom, (nuint)(col + 8));
                var a = Avx.Shuffle(t0, t1, 0b10_00_10_00);
                var b = Avx.Shuffle(t0, t1, 0b11_01_11_01);
                var c = Avx.Shuffle(b0, b1, 0b10_00_10_00);
                var d = Avx.Shuffle(b0, b1, 0b11_01_11_01);

                var max = a;
                var off = Vector256<int>.Zero;
                var take = Vector256.GreaterThan(b, max) | ~Vector256.Equals(b, b);
                max = Vector256.ConditionalSelect(take, b, max);
                off = Vector256.ConditionalSelect(take.AsInt32(), offB, off);
                take = Vector256.GreaterThan(c, max) | ~Vector256.Equals(c, c);
                max = Vector256.ConditionalSelect(take, c, max);
                off = Vector256.ConditionalSelect(take.AsInt32(), offC, off);
                take = Vector256.GreaterThan(d, max) | ~Vector256.Equals(d, d);
                max = Vector256.ConditionalSelect(take, d, max);
                off = Vector256.ConditionalSelect(take.AsInt32(), offD, off);

                var index = off + offsets + Vector256.Create(rowBase + col);
                Avx2.Permute4x64(max.AsDouble(), 0b11_01_10_00).AsSingle().StoreUnsafe(ref yr, (nuint)o);
                Avx2.Permute4x64(index.AsInt64(), 0b11_01_10_00).AsInt32().StoreUnsafe(ref ir, (nuint)o);
            }
        }

        if (Sse.IsSupported && outW >= 4)
        {
            // Four outputs at a time; the last group overlaps the previous one (same values rewritten), so no
            // output takes the branchy scalar path, which mispredicts on every other random window.
            var offsets = Vector128.Create(0, 2, 4, 6);
            var offB = Vector128.Create(1);
            var offC = Vector128.Create(w);
            var offD = Vector128.Create(w + 1);
            for (; o < outW; o += 4)
            {
                if (o + 4 > outW) o = outW - 4;
                int col = 2 * o;
                var t0 = Vector128.LoadUnsafe(ref top, (nuint)col);
                var t1 = Vector128.LoadUnsafe(ref top, (nuint)(col + 4));
                var b0 = Vector128.LoadUnsafe(ref bottom, (nuint)col);
                var b1 = Vector128.LoadUnsafe(ref bottom, (nuint)(col + 4));
                var a = Sse.Shuffle(t0, t1, 0b10_00_10_00);
                var b = Sse.Shuffle(t0, t1, 0b11_01_11_01);
                var c = Sse.Shuffle(b0, b1, 0b10_00_10_00);
                var d = Sse.Shuffle(b0, b1, 0b11_01_11_01);

                var max = a;
                var off = Vector128<int>.Zero;
                var take = Vector128.GreaterThan(b, max) | ~Vector128.Equals(b, b);
                max = Vector128.ConditionalSelect(take, b, max);
                off = Vector128.ConditionalSelect(take.AsInt32(), offB, off);
                take = Vector128.GreaterThan(c, max) | ~Vector128.Equals(c, c);
                max = Vector128.ConditionalSelect(take, c, max);
                off = Vector128.ConditionalSelect(take.AsInt32(), offC, off);
                take = Vector128.GreaterThan(d, max) | ~Vector128.Equals(d, d);
                max = Vector128.ConditionalSelect(take, d, max);
                off = Vector128.ConditionalSelect(take.AsInt32(), offD, off);

                max.StoreUnsafe(ref yr, (nuint)o);
                (off + offsets + Vector128.Create(rowBase + col)).StoreUnsafe(ref ir, (nuint)o);
            }
        }

        for (; o < outW; o++)
        {
            int col = 2 * o;
            float max = Unsafe.Add(ref top, col);
            int best = col;
            float v = Unsafe.Add(ref top, col + 1);
            if (v > max || float.IsNaN(v)) { max = v; best = col + 1; }
            v = Unsafe.Add(ref bottom, col);
            if (v > max || float.IsNaN(v)) { max = v; best = col + w; }
            v = Unsafe.Add(ref bottom, col + 1);
            if (v > max || float.IsNaN(v)) { max = v; best = col + w + 1; }
            Unsafe.Add(ref yr, o) = max;
            Unsafe.Add(ref ir, o) = rowBase + best;
        }
    }

    // One output row of the 2×2 stride-2 average pool: ((a + b) + c) + d in PyTorch's scan order, times ¼ (exact, like ÷ 4).
    private static void Avg2x2Row(ReadOnlySpan<float> x, int w, int r, Span<float> y)
    {
        ref float top = ref Unsafe.Add(ref MemoryMarshal.GetReference(x), r * w);
        ref float bottom = ref Unsafe.Add(ref top, w);
        ref float yr = ref MemoryMarshal.GetReference(y);
        int outW = y.Length, o = 0;
        if (Avx2.IsSupported)
        {
            var quarter = Vector256.Create(0.25f);
            for (; o + 8 <= outW; o += 8)
            {
                int col = 2 * o;
                var t0 = Vector256.LoadUnsafe(ref top, (nuint)col);
                var t1 = Vector256.LoadUnsafe(ref top, (nuint)(col + 8));
                var b0 = Vector256.LoadUnsafe(ref bottom, (nuint)col);
                var b1 = Vector256.LoadUnsafe(ref bottom, (nuint)(col + 8));
                var sum = Avx.Shuffle(t0, t1, 0b10_00_10_00) + Avx.Shuffle(t0, t1, 0b11_01_11_01)
                    + Avx.Shuffle(b0, b1, 0b10_00_10_00) + Avx.Shuffle(b0, b1, 0b11_01_11_01);
                Avx2.Permute4x64((sum * quarter).AsDouble(), 0b11_01_10_00).AsSingle().StoreUnsafe(ref yr, (nuint)o);
            }
        }
        for (; o < outW; o++)
        {
            int col = 2 * o;
            Unsafe.Add(ref yr, o) = (Unsafe.Add(ref top, col) + Unsafe.Add(ref top, col + 1)
                + Unsafe.Add(ref bottom, col) + Unsafe.Add(ref bottom, col + 1)) * 0.25f;
        }
    }

    // 2×2 windows of stride 2 without padding, every one whole (with ceilMode an odd size leaves a last partial one).
    static bool Whole2x2(int kH, int kW, int sH, int sW, int pH, int pW, int h, int w, int outH, int outW) =>
        kH == 2 && kW == 2 && sH == 2 && sW == 2 && pH == 0 && pW == 0 && 2 * outH <= h && 2 * outW <= w;

    /// <summary>The pooled size: floor((size + 2p − k)/s) + 1, or with ceilMode rounded up, less one where the last window
    /// would start past the input and its left padding (PyTorch's pooling_output_shape).</summary>
    internal static (int OutH, int OutW) OutputShape(string op, int h, int w, int kH, int kW, int sH, int sW, int pH, int pW, bool ceilMode)
    {
        var floor = Im2Col.OutputShape(op, h, w, kH, kW, sH, sW, pH, pW, 1, 1);
        if (!ceilMode) return floor;
        static int Ceil(int size, int k, int s, int p)
        {
            int o = (size + 2 * p - k + s - 1) / s + 1;
            return (o - 1) * s >= size + p ? o - 1 : o;
        }
        return (Ceil(h, kH, sH, pH), Ceil(w, kW, sW, pW));
    }

    private static (int OutH, int OutW) Check(string op, string inputName, int inputLength, int n, int c, int h, int w,
        int kH, int kW, int sH, int sW, int pH, int pW, bool ceilMode)
    {
        if (n < 0 || c < 0)
            throw new ArgumentException($"{op}: batch and channels must be >= 0, got n={n}, c={c}");
        var shape = OutputShape(op, h, w, kH, kW, sH, sW, pH, pW, ceilMode);
        if (pH > kH / 2)
            throw new ArgumentException($"{op}: pad should be at most half of kernel size, got padding {pH} for kernel {kH}");
        if (pW > kW / 2)
            throw new ArgumentException($"{op}: pad should be at most half of kernel size, got padding {pW} for kernel {kW}");
        Im2Col.CheckLength(op, inputName, inputLength, (long)n * c * h * w);
        return shape;
    }
}
