using Occam.Kernels;
using Occam.Losses;
using Occam.NN;
using Occam.Training;

namespace Occam.Tests.Kernels;

/// <summary>
/// The fast paths against naive double-precision references, on seeded random data at awkward sizes, at 1 and 2
/// threads: Sgemm on every micro-kernel the hardware runs (both transposes, padded strides, accumulate, the epilogue,
/// B packed ahead, A read in place or packed, split by rows or columns; every size in <see cref="Awkward"/> as m, n
/// and k, the edges of each kernel's tile and of the row, k and column blocks, n past 2048, the dot-rows shape);
/// Linear and Conv2d forward and gradients (grouped, strided, dilated, padded, pointwise, twice accumulated); max and
/// average pooling; softmax cross-entropy with label smoothing and ignored targets; batch norm alone and before ReLU,
/// in training and eval, with its running statistics; the fused BatchNorm → ReLU → Dropout and BatchNorm2d → ReLU →
/// MaxPool2d sequences against the same layers run one after the other; and Predict against Forward. A failure lists
/// the first mismatches with their case.
/// </summary>
/// <remarks>
/// An element passes when |actual − expected| ≤ rel · max(1, √k / 8) · size + 1e-6, where k is the length of the sum
/// behind it and size is Σ|terms| of that sum (where no sum is at hand, the largest |expected|): float32 rounding grows
/// with the magnitudes summed, and about as √k over blocked sums. rel is 1e-5 unless a check names another. Batch
/// norm's tolerances also grow by 1 + cond/4, cond = max|x| / std over the channels: in float32, x·scale + shift
/// forward and a·g + b·x + c backward lose about eps·max|x|/std to cancellation.
/// </remarks>
[Collection(nameof(ThreadsCollection))]
public class FastPathFuzzTests
{
    static readonly int[] Awkward = [1, 2, 3, 7, 15, 17, 31, 33, 63, 65, 127, 129];
    static readonly int[] ThreadCounts = [1, 2];

    /// <summary>The failures found over one test's cases.</summary>
    sealed class Mismatches
    {
        readonly List<string> found = [];
        int cases;

        public void Add(string failure) => found.Add(failure);

        /// <summary>Runs one case; an exception is a failure too.</summary>
        public void Case(string context, Action body)
        {
            try { body(); }
            catch (Exception e) { found.Add($"{context}: threw {e.GetType().Name}: {e.Message}"); }
            cases++;
        }

        /// <summary>Compares actual to expected within rel · max(1, √k/8) · (size[i], or max|expected|) + 1e-6.</summary>
        public void Check(string context, string what, ReadOnlySpan<float> actual, double[] expected, double[]? size, double k, double rel = 1e-5)
        {
            if (actual.Length != expected.Length) { found.Add($"{context} {what}: length {actual.Length}, expected {expected.Length}"); return; }
            double largest = 0;
            foreach (var e in expected) largest = Math.Max(largest, Math.Abs(e));
            double growth = Math.Max(1, Math.Sqrt(k) / 8);
            int bad = 0;
            for (int i = 0; i < actual.Length; i++)
            {
                double tolerance = rel * growth * (size != null ? size[i] : largest) + 1e-6, error = Math.Abs(actual[i] - expected[i]);
                if (error <= tolerance) continue;
                if (bad < 3) found.Add($"{context} {what}[{i}]: {actual[i]:R}, expected {expected[i]:R} (error {error:E2}, tolerance {tolerance:E2})");
                bad++;
            }
            if (bad > 3) found.Add($"{context} {what}: {bad} of {actual.Length} elements wrong");
        }

        public void AssertNone()
        {
            if (found.Count > 0) Assert.Fail($"{found.Count} failures in {cases} cases; the first:\n" + string.Join("\n", found.Take(12)));
        }
    }

    static float[] Rand(Random r, int n, float lo = -1, float hi = 1)
    {
        var a = new float[n];
        for (int i = 0; i < n; i++) a[i] = lo + (float)r.NextDouble() * (hi - lo);
        return a;
    }

    /// <summary>Two times in three an awkward size (unless above max), else any in [1, max].</summary>
    static int Pick(Random r, int max = 129) =>
        r.Next(3) > 0 && Awkward[r.Next(Awkward.Length)] is var size && size <= max ? size : r.Next(1, max + 1);

    /// <summary>One size (slot 0, 1, … of the case's sizes) of case i: the first twelve cases pass every awkward size
    /// through every slot, later ones pick.</summary>
    static int Size(Random r, int i, int slot, int max = 129) =>
        i < Awkward.Length ? Math.Min(Walk(i, slot), max) : Pick(r, max);

    static int Walk(int i, int slot) => Awkward[(i + 5 * slot) % Awkward.Length];

    /// <summary>A tensor over a copy of data, so that every run starts from the same values.</summary>
    static Tensor Of(float[] data, params int[] shape) => Tensor.FromArray((float[])data.Clone(), shape);

    static double[] Widen(float[] values) => [.. values.Select(v => (double)v)];

    static double[] Widen(Tensor t) => Widen(t.ToArray());

    static double[] Times(double[] values, int factor) => [.. values.Select(v => v * factor)];

    // ---------------------------------------------------------------- Sgemm

    /// <summary>Shapes run at all four transposes before the random ones: each awkward size as m, n and k; tiny products
    /// (the direct loop); one short of, at and one past each kernel's tile (4×4, 6×16, 8×32) and row block (120, 128);
    /// k around one and two k blocks (256); n past the column block (512 scalar, 2048 vector); the skinny A·Bᵀ of the
    /// dot-rows path. Products of 800 000 and more split across two threads.</summary>
    static IEnumerable<(int M, int N, int K)> EdgeShapes()
    {
        for (int i = 0; i < Awkward.Length; i++) yield return (Walk(i, 0), Walk(i, 1), Walk(i, 2));
        yield return (1, 1, 1);
        yield return (7, 3, 17);
        foreach (var (mr, nr) in new[] { (4, 4), (6, 16), (8, 32) })
            for (int d = -1; d <= 1; d++) yield return (mr + d, nr - d, 40);
        foreach (int m in new[] { 119, 120, 121, 127, 128, 129 }) yield return (m, 70, 100);
        foreach (int k in new[] { 255, 256, 257, 511, 512, 513 }) yield return (17, 33, k);
        yield return (65, 129, 257);
        yield return (9, 513, 30);
        yield return (3, 2049, 20);
        yield return (7, 2300, 60);
        yield return (300, 5, 100);
        yield return (1000, 10, 90);
    }

    [Fact]
    public void SgemmMatchesDoubleReference()
    {
        var mismatches = new Mismatches();
        var r = new Random(1234);
        bool savedInPlace = Gemm.InPlaceA;
        try
        {
            foreach (var (m, n, k) in EdgeShapes())
                foreach (bool ta in new[] { false, true })
                    foreach (bool tb in new[] { false, true })
                        CheckSgemm(mismatches, r, ta, tb, m, n, k);
            for (int iter = 0; iter < 100; iter++)
                CheckSgemm(mismatches, r, r.Next(2) == 1, r.Next(2) == 1, Pick(r), Pick(r), iter % 8 == 0 ? r.Next(130, 1100) : Pick(r));
        }
        finally { Gemm.InPlaceA = savedInPlace; }
        mismatches.AssertNone();
    }

    /// <summary>One product on random data with padded strides, in one of four modes, on every kernel, at 1 and 2
    /// threads, with A read in place and packed; C's padding must come back untouched.</summary>
    static void CheckSgemm(Mismatches mismatches, Random r, bool ta, bool tb, int m, int n, int k)
    {
        int lda = (ta ? m : k) + r.Next(3), ldb = (tb ? k : n) + r.Next(3), ldc = n + r.Next(3);
        var a = Rand(r, (ta ? k : m) * lda);
        var b = Rand(r, (tb ? n : k) * ldb);
        var c0 = Rand(r, m * ldc);
        int mode = r.Next(4); // 0 plain, 1 accumulate, 2 epilogue, 3 B packed ahead
        bool accumulate = mode == 1;
        float[] scale = mode == 2 && r.Next(2) == 0 ? Rand(r, n, 0.5f, 2f) : [];
        float[] shift = mode == 2 && r.Next(3) != 0 ? Rand(r, n) : [];
        bool relu = mode == 2 && r.Next(2) == 0, splitRows = r.Next(2) == 0;
        var expected = new double[m * ldc];
        var size = new double[m * ldc];
        for (int i = 0; i < m; i++)
            for (int j = 0; j < ldc; j++)
            {
                if (j >= n) { expected[i * ldc + j] = c0[i * ldc + j]; continue; }
                double s = accumulate ? c0[i * ldc + j] : 0, sa = Math.Abs(s);
                for (int p = 0; p < k; p++)
                {
                    double x = ta ? a[p * lda + i] : a[i * lda + p];
                    double y = tb ? b[j * ldb + p] : b[p * ldb + j];
                    s += x * y; sa += Math.Abs(x * y);
                }
                if (scale.Length > 0) { s *= scale[j]; sa *= scale[j]; }
                if (shift.Length > 0) { s += shift[j]; sa += Math.Abs(shift[j]); }
                if (relu) s = Math.Max(0, s);
                expected[i * ldc + j] = s; size[i * ldc + j] = sa;
            }
        GemmTests.OnEveryKernel(() =>
        {
            foreach (int threads in ThreadCounts)
                foreach (bool inPlace in new[] { true, false })
                {
                    if (!inPlace && (Gemm.Kernel == Gemm.KernelKind.Scalar || ta)) continue; // the only kernels and layout that read A in place
                    string context = $"Sgemm {(ta ? 't' : 'n')}{(tb ? 't' : 'n')} m={m} n={n} k={k} lda={lda} ldb={ldb} ldc={ldc} mode={mode} relu={relu} splitRows={splitRows} kernel={Gemm.Kernel} threads={threads} inPlaceA={inPlace}";
                    mismatches.Case(context, () => ThreadCount.With(threads, () =>
                    {
                        Gemm.InPlaceA = inPlace;
                        var c = (float[])c0.Clone();
                        if (mode == 3)
                        {
                            var packed = Gemm.Pack(tb, n, k, b, ldb);
                            var packedB = Gemm.ReadsPackedB(ta, tb, m, n, k) ? packed : null;
                            Gemm.Sgemm(ta, tb, m, n, k, a, lda, b, ldb, c, ldc, false, default, packedB, splitRows);
                            packed.Release();
                        }
                        else
                            Gemm.Sgemm(ta, tb, m, n, k, a, lda, b, ldb, c, ldc, accumulate, new GemmEpilogue(scale, shift, relu), null, splitRows);
                        mismatches.Check(context, "C", c, expected, size, k);
                    }));
                }
        });
    }

    // ---------------------------------------------------------------- Linear

    [Fact]
    public void LinearMatchesDoubleReference()
    {
        var mismatches = new Mismatches();
        var r = new Random(77);
        for (int iter = 0; iter < 36; iter++)
        {
            int rows = Size(r, iter, 0, 300), inF = Size(r, iter, 1, 200), outF = Size(r, iter, 2, 200);
            if (iter % 7 == 6) inF = r.Next(300, 900); // more than one k block
            bool bias = r.Next(4) != 0, threeD = r.Next(4) == 0 && rows % 3 == 0, xGrad = iter % 5 != 4;
            int passes = r.Next(3) == 0 ? 2 : 1; // a second pass accumulates into the gradients
            var x = Rand(r, rows * inF);
            var gy = Rand(r, rows * outF);
            Linear Make() => new(inF, outF, bias, new Generator((ulong)iter + 5));
            var reference = Make();
            var w = reference.Weight.ToArray();
            var bv = reference.Bias?.ToArray();
            var ey = new double[rows * outF]; var ay = new double[rows * outF];
            var edx = new double[rows * inF]; var adx = new double[rows * inF];
            var edw = new double[outF * inF]; var adw = new double[outF * inF];
            var edb = new double[outF]; var adb = new double[outF];
            for (int i = 0; i < rows; i++)
                for (int o = 0; o < outF; o++)
                {
                    double s = bias ? bv![o] : 0, sa = Math.Abs(s);
                    for (int p = 0; p < inF; p++) { s += (double)x[i * inF + p] * w[o * inF + p]; sa += Math.Abs((double)x[i * inF + p] * w[o * inF + p]); }
                    ey[i * outF + o] = s; ay[i * outF + o] = sa;
                    double g = gy[i * outF + o] * passes;
                    edb[o] += g; adb[o] += Math.Abs(g);
                    for (int p = 0; p < inF; p++)
                    {
                        edx[i * inF + p] += g * w[o * inF + p]; adx[i * inF + p] += Math.Abs(g * w[o * inF + p]);
                        edw[o * inF + p] += g * x[i * inF + p]; adw[o * inF + p] += Math.Abs(g * x[i * inF + p]);
                    }
                }
            foreach (int threads in ThreadCounts)
            {
                string context = $"Linear rows={rows} in={inF} out={outF} bias={bias} 3d={threeD} passes={passes} threads={threads}";
                mismatches.Case(context, () => ThreadCount.With(threads, () =>
                {
                    var layer = Make();
                    var xt = threeD ? Of(x, 3, rows / 3, inF) : Of(x, rows, inF);
                    xt.RequiresGrad = xGrad;
                    float[] y = [];
                    for (int pass = 0; pass < passes; pass++)
                    {
                        var yt = layer.Forward(xt);
                        y = yt.ToArray();
                        (yt * Of(gy, yt.Shape)).Sum().Backward();
                    }
                    mismatches.Check(context, "y", y, ey, ay, inF);
                    if (xGrad) mismatches.Check(context, "dx", xt.Grad!.ToArray(), edx, adx, outF);
                    mismatches.Check(context, "dW", layer.Weight.Grad!.ToArray(), edw, adw, rows);
                    if (bias) mismatches.Check(context, "db", layer.Bias!.Grad!.ToArray(), edb, adb, rows);
                }));
            }
        }
        mismatches.AssertNone();
    }

    // ---------------------------------------------------------------- Conv2d

    [Fact]
    public void Conv2dMatchesDoubleReference()
    {
        var mismatches = new Mismatches();
        var r = new Random(99);
        for (int iter = 0; iter < 30; iter++)
        {
            int groups = r.Next(4) == 0 ? r.Next(2, 4) : 1;
            int cg = r.Next(1, 5), og = iter % 5 == 0 ? r.Next(9, 40) : r.Next(1, 9);
            int c = cg * groups, o = og * groups;
            int kh = r.Next(1, 6), kw = r.Next(1, 6);
            if (iter % 6 == 0) kh = kw = 1;
            int sh = r.Next(1, 4), sw = r.Next(1, 4), ph = r.Next(0, 3), pw = r.Next(0, 3), dh = r.Next(1, 3), dw = r.Next(1, 3);
            if (iter % 3 == 0) { sh = sw = 1; dh = dw = 1; ph = kh / 2; pw = kw / 2; } // "same": the shifted-plane path
            if (iter % 6 == 0 && r.Next(2) == 0) { sh = sw = 1; ph = pw = 0; } // pointwise
            int h = r.Next(1, 24), w = r.Next(1, 24);
            if (iter % 10 == 0) { h = r.Next(25, 40); w = r.Next(25, 40); }
            int n = new[] { 1, 2, 3, 5, 7, 9, 17 }[r.Next(7)];
            if (h + 2 * ph - dh * (kh - 1) - 1 < 0 || w + 2 * pw - dw * (kw - 1) - 1 < 0) { iter--; continue; } // no output: draw again
            CheckConv2d(mismatches, r, n, c, o, groups, kh, kw, sh, sw, ph, pw, dh, dw, h, w);
        }
        mismatches.AssertNone();
    }

    /// <summary>Conv2d of random x, weight, bias and upstream gradient against a direct double-precision sum: output,
    /// input, weight and bias gradients (some not wanted, some accumulated twice), at 1 and 2 threads, and the output
    /// without autograd.</summary>
    static void CheckConv2d(Mismatches mismatches, Random r, int n, int c, int o, int groups, int kh, int kw,
        int sh, int sw, int ph, int pw, int dh, int dw, int h, int w)
    {
        int cg = c / groups, og = o / groups;
        int oh = (h + 2 * ph - dh * (kh - 1) - 1) / sh + 1, ow = (w + 2 * pw - dw * (kw - 1) - 1) / sw + 1;
        bool bias = r.Next(4) != 0;
        var x = Rand(r, n * c * h * w);
        var wt = Rand(r, o * cg * kh * kw);
        var bt = Rand(r, o);
        var gy = Rand(r, n * o * oh * ow);
        var ey = new double[n * o * oh * ow]; var ay = new double[ey.Length];
        var edx = new double[x.Length]; var adx = new double[x.Length];
        var edw = new double[wt.Length]; var adw = new double[wt.Length];
        var edb = new double[o]; var adb = new double[o];
        for (int s = 0; s < n; s++)
            for (int oc = 0; oc < o; oc++)
            {
                int g = oc / og;
                for (int y0 = 0; y0 < oh; y0++)
                    for (int x0 = 0; x0 < ow; x0++)
                    {
                        int yi = ((s * o + oc) * oh + y0) * ow + x0;
                        double acc = bias ? bt[oc] : 0, aa = Math.Abs(acc), gg = gy[yi];
                        edb[oc] += gg; adb[oc] += Math.Abs(gg);
                        for (int ci = 0; ci < cg; ci++)
                            for (int i = 0; i < kh; i++)
                                for (int j = 0; j < kw; j++)
                                {
                                    int ih = y0 * sh - ph + i * dh, iw = x0 * sw - pw + j * dw;
                                    if (ih < 0 || ih >= h || iw < 0 || iw >= w) continue;
                                    int xi = ((s * c + g * cg + ci) * h + ih) * w + iw, wi = ((oc * cg + ci) * kh + i) * kw + j;
                                    double p = (double)x[xi] * wt[wi];
                                    acc += p; aa += Math.Abs(p);
                                    edx[xi] += gg * wt[wi]; adx[xi] += Math.Abs(gg * wt[wi]);
                                    edw[wi] += gg * x[xi]; adw[wi] += Math.Abs(gg * x[xi]);
                                }
                        ey[yi] = acc; ay[yi] = aa;
                    }
            }
        int passes = r.Next(4) == 0 ? 2 : 1;
        int need = r.Next(4); // 0 every gradient, 1 none for x, 2 only x's, 3 none for the bias
        foreach (int threads in ThreadCounts)
        {
            string context = $"Conv2d n={n} c={c} o={o} groups={groups} hw={h}x{w} k={kh}x{kw} s={sh},{sw} p={ph},{pw} d={dh},{dw} bias={bias} out={oh}x{ow} passes={passes} need={need} threads={threads}";
            mismatches.Case(context, () => ThreadCount.With(threads, () =>
            {
                var xt = Of(x, n, c, h, w); xt.RequiresGrad = need != 1;
                var wtt = Of(wt, o, cg, kh, kw); wtt.RequiresGrad = need != 2;
                var btt = bias ? Of(bt, o) : null;
                if (btt != null) btt.RequiresGrad = need == 0 || need == 1;
                float[] y = [];
                for (int pass = 0; pass < passes; pass++)
                {
                    var yt = Functional.Conv2d(xt, wtt, btt, (sh, sw), (ph, pw), (dh, dw), groups);
                    y = yt.ToArray();
                    (yt * Of(gy, yt.Shape)).Sum().Backward();
                }
                mismatches.Check(context, "y", y, ey, ay, cg * kh * kw);
                if (xt.RequiresGrad) mismatches.Check(context, "dx", xt.Grad!.ToArray(), Times(edx, passes), Times(adx, passes), og * kh * kw);
                if (wtt.RequiresGrad) mismatches.Check(context, "dW", wtt.Grad!.ToArray(), Times(edw, passes), Times(adw, passes), n * oh * ow);
                if (btt is { RequiresGrad: true }) mismatches.Check(context, "db", btt.Grad!.ToArray(), Times(edb, passes), Times(adb, passes), n * oh * ow);
                using (Autograd.NoGrad())
                {
                    var inference = Functional.Conv2d(Of(x, n, c, h, w), Of(wt, o, cg, kh, kw), bias ? Of(bt, o) : null, (sh, sw), (ph, pw), (dh, dw), groups);
                    mismatches.Check(context, "y (no grad)", inference.ToArray(), ey, ay, cg * kh * kw);
                }
            }));
        }
    }

    [Fact]
    public void Conv2dByWinogradMatchesDoubleReference()
    {
        // 3×3, stride 1, at least 8 channels in and out: Winograd's F(2×2, 3×3); odd and even sizes (a last row or column
        // of tiles half outside), padding 0 to 2 (the input gradient's own padding 2 to 0), one image to several per thread
        var mismatches = new Mismatches();
        var r = new Random(7);
        for (int iter = 0; iter < 10; iter++)
        {
            int c = r.Next(8, 21), o = r.Next(8, 21), ph = r.Next(0, 3), pw = r.Next(0, 3);
            int h = r.Next(3 - 2 * ph > 1 ? 3 - 2 * ph : 1, 17), w = r.Next(3 - 2 * pw > 1 ? 3 - 2 * pw : 1, 17);
            if (iter == 0) { h = 14; w = 14; ph = pw = 1; }
            if (iter == 1) { h = 40; w = 33; } // 20 rows of tiles: the input's rows split in bands of 7
            int n = new[] { 1, 2, 3, 5 }[r.Next(4)];
            CheckConv2d(mismatches, r, n, c, o, 1, 3, 3, 1, 1, ph, pw, 1, 1, h, w);
        }
        mismatches.AssertNone();
    }

    // ---------------------------------------------------------------- Pools

    static int PoolOut(int size, int k, int s, int p, bool ceil)
    {
        int num = size + 2 * p - k;
        int o = (ceil ? (num + s - 1) / s : num / s) + 1;
        if (ceil && (o - 1) * s >= size + p) o--; // the last window must start inside the input or the left padding
        return o;
    }

    [Fact]
    public void PoolsMatchDoubleReference()
    {
        var mismatches = new Mismatches();
        var r = new Random(5);
        for (int iter = 0; iter < 48; iter++)
        {
            int kh = r.Next(1, 6), kw = r.Next(1, 6);
            int sh = r.Next(1, 5), sw = r.Next(1, 5);
            int ph = r.Next(0, kh / 2 + 1), pw = r.Next(0, kw / 2 + 1);
            if (iter % 4 == 0) { kh = kw = 2; sh = sw = 2; ph = pw = 0; }
            bool ceil = r.Next(2) == 0, avg = r.Next(2) == 0, includePad = r.Next(2) == 0;
            int h = r.Next(Math.Max(1, kh - 2 * ph), 40), w = r.Next(Math.Max(1, kw - 2 * pw), 40);
            int n = new[] { 1, 2, 3, 5, 7, 33 }[r.Next(6)], c = new[] { 1, 2, 3, 7, 17 }[r.Next(5)];
            if (iter % 8 == 0) { n = r.Next(9, 20); c = r.Next(9, 20); h = r.Next(30, 40); w = r.Next(30, 40); } // split across threads (32 768 elements a task)
            if (h + 2 * ph < kh || w + 2 * pw < kw) { iter--; continue; } // no output: draw again
            int oh = PoolOut(h, kh, sh, ph, ceil), ow = PoolOut(w, kw, sw, pw, ceil);
            var x = Rand(r, n * c * h * w);
            var gy = Rand(r, n * c * oh * ow);
            var ey = new double[n * c * oh * ow];
            var edx = new double[x.Length];
            for (int p = 0; p < n * c; p++)
                for (int a = 0; a < oh; a++)
                    for (int b = 0; b < ow; b++)
                    {
                        int yi = (p * oh + a) * ow + b;
                        int hs = a * sh - ph, ws = b * sw - pw;
                        int he = Math.Min(hs + kh, h + ph), we = Math.Min(ws + kw, w + pw);
                        int h0 = Math.Max(hs, 0), w0 = Math.Max(ws, 0), h1 = Math.Min(hs + kh, h), w1 = Math.Min(ws + kw, w);
                        if (avg)
                        {
                            int count = (h1 - h0) * (w1 - w0);
                            double divisor = includePad ? (he - hs) * (we - ws) : count, sum = 0;
                            for (int i = h0; i < h1; i++) for (int j = w0; j < w1; j++) sum += x[p * h * w + i * w + j];
                            ey[yi] = count <= 0 ? 0 : sum / divisor;
                            if (count > 0) for (int i = h0; i < h1; i++) for (int j = w0; j < w1; j++) edx[p * h * w + i * w + j] += gy[yi] / divisor;
                        }
                        else
                        {
                            double best = double.NegativeInfinity; int at = -1;
                            for (int i = h0; i < h1; i++) for (int j = w0; j < w1; j++) if (x[p * h * w + i * w + j] > best) { best = x[p * h * w + i * w + j]; at = p * h * w + i * w + j; }
                            ey[yi] = best;
                            if (at >= 0) edx[at] += gy[yi];
                        }
                    }
            foreach (int threads in ThreadCounts)
            {
                string context = $"{(avg ? "AvgPool2d" : "MaxPool2d")} n={n} c={c} hw={h}x{w} k={kh}x{kw} s={sh},{sw} p={ph},{pw} ceil={ceil} includePad={includePad} out={oh}x{ow} threads={threads}";
                mismatches.Case(context, () => ThreadCount.With(threads, () =>
                {
                    var xt = Of(x, n, c, h, w); xt.RequiresGrad = true;
                    var yt = avg ? Functional.AvgPool2d(xt, (kh, kw), (sh, sw), (ph, pw), includePad, ceil) : Functional.MaxPool2d(xt, (kh, kw), (sh, sw), (ph, pw), ceil);
                    if (yt.Dim(2) != oh || yt.Dim(3) != ow) { mismatches.Add($"{context}: output {yt.Dim(2)}x{yt.Dim(3)}"); return; }
                    var y = yt.ToArray();
                    (yt * Of(gy, yt.Shape)).Sum().Backward();
                    mismatches.Check(context, "y", y, ey, null, kh * kw);
                    mismatches.Check(context, "dx", xt.Grad!.ToArray(), edx, null, kh * kw);
                    if (!avg && kh == kw && sh == sw && ph == pw && r.Next(3) == 0) // the module, on one unbatched [C, H, W] sample
                    {
                        var single = new MaxPool2d(kh, sh, ph, ceil).Forward(Of(x[..(c * h * w)], c, h, w));
                        mismatches.Check(context, "y (unbatched module)", single.ToArray(), ey[..(c * oh * ow)], null, 1);
                    }
                }));
            }
        }
        mismatches.AssertNone();
    }

    // ---------------------------------------------------------------- Softmax cross-entropy

    [Fact]
    public void CrossEntropyMatchesDoubleReference()
    {
        var mismatches = new Mismatches();
        var r = new Random(8);
        for (int iter = 0; iter < 60; iter++)
        {
            int n = Size(r, iter, 0, 300), classes = new[] { 1, 2, 3, 7, 10, 16, 17, 33, 100 }[r.Next(9)];
            float eps = r.Next(3) == 0 ? 0 : (float)r.NextDouble() * (r.Next(4) == 0 ? 1f : 0.3f);
            bool mean = r.Next(3) != 0;
            int? ignore = r.Next(3) switch { 0 => null, 1 => CrossEntropyLoss.DefaultIgnoreIndex, _ => r.Next(classes) };
            var logits = Rand(r, n * classes, -4, 4);
            var target = new float[n];
            for (int i = 0; i < n; i++)
            {
                target[i] = r.Next(classes);
                if (ignore == CrossEntropyLoss.DefaultIgnoreIndex && r.Next(4) == 0) target[i] = CrossEntropyLoss.DefaultIgnoreIndex;
            }
            int kept = target.Count(t => t != ignore);
            if (kept == 0) continue; // the mean of nothing
            double total = 0;
            var edx = new double[n * classes];
            var logSoftmax = new double[classes];
            for (int i = 0; i < n; i++)
            {
                int t = (int)target[i];
                if (t == ignore) continue;
                double max = double.NegativeInfinity, sumExp = 0, sumLog = 0;
                for (int j = 0; j < classes; j++) max = Math.Max(max, logits[i * classes + j]);
                for (int j = 0; j < classes; j++) sumExp += Math.Exp(logits[i * classes + j] - max);
                for (int j = 0; j < classes; j++) { logSoftmax[j] = logits[i * classes + j] - max - Math.Log(sumExp); sumLog += logSoftmax[j]; }
                total += -(1 - eps) * logSoftmax[t] - eps / classes * sumLog;
                for (int j = 0; j < classes; j++) edx[i * classes + j] = Math.Exp(logSoftmax[j]) - eps / classes - (j == t ? 1 - eps : 0);
            }
            double scale = mean ? 1.0 / kept : 1.0;
            for (int i = 0; i < edx.Length; i++) edx[i] *= scale;
            foreach (int threads in ThreadCounts)
            {
                string context = $"CrossEntropy n={n} C={classes} eps={eps} mean={mean} ignore={ignore?.ToString() ?? "none"} kept={kept} threads={threads}";
                mismatches.Case(context, () => ThreadCount.With(threads, () =>
                {
                    var lt = Of(logits, n, classes); lt.RequiresGrad = true;
                    var loss = new CrossEntropyLoss(eps, mean ? Reduction.Mean : Reduction.Sum, ignore).Forward(lt, Of(target, n));
                    loss.Backward();
                    mismatches.Check(context, "loss", [loss.Item()], [total * scale], null, n * classes);
                    mismatches.Check(context, "dlogits", lt.Grad!.ToArray(), edx, null, classes, 1e-4);
                }));
            }
        }
        mismatches.AssertNone();
    }

    // ---------------------------------------------------------------- BatchNorm

    /// <summary>Batch norm over [n, c, inner] in doubles: y (through ReLU when relu) and, for the upstream gradient gy,
    /// dx, dγ, dβ; also the batch mean and unbiased variance.</summary>
    static (double[] Y, double[] Dx, double[] Dg, double[] Db, double[] Mean, double[] VarU) NaiveBatchNorm(float[] x, int n, int c, int inner,
        float[] gamma, float[] beta, bool training, float[] rm, float[] rv, float eps, bool relu, float[] gy)
    {
        var y = new double[x.Length]; var dx = new double[x.Length];
        var dg = new double[c]; var db = new double[c];
        var meanOut = new double[c]; var varU = new double[c];
        double count = (double)n * inner;
        for (int k = 0; k < c; k++)
        {
            double mu, vr;
            if (training)
            {
                double s = 0;
                for (int i = 0; i < n; i++) for (int j = 0; j < inner; j++) s += x[(i * c + k) * inner + j];
                mu = s / count;
                double v = 0;
                for (int i = 0; i < n; i++) for (int j = 0; j < inner; j++) { double d = x[(i * c + k) * inner + j] - mu; v += d * d; }
                vr = v / count;
                varU[k] = v / (count - 1);
            }
            else { mu = rm[k]; vr = rv[k]; }
            meanOut[k] = mu;
            double rs = 1 / Math.Sqrt(vr + eps);
            double sg = 0, sgx = 0;
            for (int i = 0; i < n; i++)
                for (int j = 0; j < inner; j++)
                {
                    int at = (i * c + k) * inner + j;
                    double xh = (x[at] - mu) * rs, pre = xh * gamma[k] + beta[k];
                    y[at] = relu ? Math.Max(0, pre) : pre;
                    double g = relu && !(pre > 0) ? 0 : gy[at];
                    sg += g; sgx += g * xh;
                }
            dg[k] = sgx; db[k] = sg;
            for (int i = 0; i < n; i++)
                for (int j = 0; j < inner; j++)
                {
                    int at = (i * c + k) * inner + j;
                    double xh = (x[at] - mu) * rs, pre = xh * gamma[k] + beta[k];
                    double g = relu && !(pre > 0) ? 0 : gy[at];
                    dx[at] = training ? gamma[k] * rs / count * (count * g - sg - xh * sgx) : gamma[k] * rs * g;
                }
        }
        return (y, dx, dg, db, meanOut, varU);
    }

    static int Divisor(Random r, int v)
    {
        var divisors = Enumerable.Range(1, v).Where(d => v % d == 0).ToArray();
        return divisors[r.Next(divisors.Length)];
    }

    [Fact]
    public void BatchNormMatchesDoubleReference()
    {
        var mismatches = new Mismatches();
        var r = new Random(31);
        for (int iter = 0; iter < 48; iter++)
        {
            int kind = iter % 10 < 2 ? 0 : iter % 10 == 2 ? r.Next(1, 3) : r.Next(3); // 0: [N,C], the rows path; 1: [N,C,L]; 2: [N,C,H,W]
            int n = Size(r, iter, 0, 200), c = Size(r, iter, 1, 140), inner = 1;
            if (kind == 1) { n = Pick(r, 40); c = Pick(r, 40); inner = Pick(r, 70); }
            if (kind == 2) { n = new[] { 1, 2, 3, 5, 9, 17 }[r.Next(6)]; c = Pick(r, 33); inner = r.Next(1, 20) * r.Next(1, 20); }
            if (iter % 10 == 0) { n = r.Next(129, 400); c = r.Next(130, 300); } // the rows path in parallel
            if (iter % 10 == 1) { n = r.Next(2, 10); c = r.Next(1025, 2100); } // column sums in blocks
            if (iter % 10 == 2) { n = r.Next(9, 20); c = r.Next(3, 20); inner = r.Next(700, 1500); } // moments in parallel
            bool training = r.Next(4) != 0, relu = r.Next(2) == 0, affine = r.Next(5) != 0;
            if (training && n * inner <= 1) n = 2;
            int h = 0, w = 0;
            if (kind == 2) { h = Divisor(r, inner); w = inner / h; }
            var x = Rand(r, n * c * inner, -2, 3);
            var gamma = affine ? Rand(r, c, 0.5f, 2f) : Enumerable.Repeat(1f, c).ToArray();
            var beta = affine ? Rand(r, c) : new float[c];
            var rm = Rand(r, c, -0.5f, 0.5f); var rv = Rand(r, c, 0.5f, 2f);
            var gy = Rand(r, x.Length);
            const float eps = 1e-5f, momentum = 0.1f;
            var expected = NaiveBatchNorm(x, n, c, inner, gamma, beta, training, rm, rv, eps, relu, gy);
            int passes = r.Next(4) == 0 ? 2 : 1;
            double cond = 0; // max over channels of max|x| / std
            for (int k = 0; k < c && training; k++)
            {
                double v = expected.VarU[k] * (n * inner - 1) / (n * inner), max = 0;
                for (int i = 0; i < n; i++) for (int j = 0; j < inner; j++) max = Math.Max(max, Math.Abs(x[(i * c + k) * inner + j]));
                cond = Math.Max(cond, max / Math.Sqrt(v + eps));
            }
            double conditioning = 1 + cond / 4, count = (double)n * inner;
            int[] shape = kind == 0 ? [n, c] : kind == 1 ? [n, c, inner] : [n, c, h, w];
            foreach (int threads in ThreadCounts)
            {
                string context = $"BatchNorm{(kind == 2 ? "2d" : "1d")} shape=[{string.Join(",", shape)}] training={training} relu={relu} affine={affine} passes={passes} cond={cond:F1} threads={threads}";
                mismatches.Case(context, () => ThreadCount.With(threads, () =>
                {
                    BatchNormBase bn = kind == 2 ? new BatchNorm2d(c, eps, momentum, affine) : new BatchNorm1d(c, eps, momentum, affine);
                    if (affine) { gamma.CopyTo(bn.Weight!.Span); beta.CopyTo(bn.Bias!.Span); }
                    rm.CopyTo(bn.RunningMean!.Span); rv.CopyTo(bn.RunningVar!.Span);
                    bn.Train(training);
                    Module model = relu ? new Sequential(bn, new ReLU()) : bn;
                    var xt = Of(x, shape); xt.RequiresGrad = true;
                    var yt = model.Forward(xt);
                    var y = yt.ToArray();
                    (yt * Of(gy, shape)).Sum().Backward();
                    var runningMean = bn.RunningMean!.ToArray(); var runningVar = bn.RunningVar!.ToArray();
                    if (passes == 2) // accumulates the gradients; the statistics are checked after one step
                        (model.Forward(xt) * Of(gy, shape)).Sum().Backward();
                    mismatches.Check(context, "y", y, expected.Y, null, 1, 1e-5 * conditioning);
                    mismatches.Check(context, "dx", xt.Grad!.ToArray(), Times(expected.Dx, passes), null, training ? count : 1, 1e-4 * conditioning);
                    if (affine)
                    {
                        mismatches.Check(context, "dgamma", bn.Weight!.Grad!.ToArray(), Times(expected.Dg, passes), null, count, 1e-5 * conditioning);
                        mismatches.Check(context, "dbeta", bn.Bias!.Grad!.ToArray(), Times(expected.Db, passes), null, count, 1e-5 * conditioning);
                    }
                    if (training)
                    {
                        mismatches.Check(context, "running_mean", runningMean, [.. rm.Select((v, k) => 0.9 * v + 0.1 * expected.Mean[k])], null, 1);
                        mismatches.Check(context, "running_var", runningVar, [.. rv.Select((v, k) => 0.9 * v + 0.1 * expected.VarU[k])], null, 1);
                    }
                    rm.CopyTo(bn.RunningMean!.Span); rv.CopyTo(bn.RunningVar!.Span);
                    using (Autograd.NoGrad())
                        mismatches.Check(context, "y (no grad)", model.Forward(Of(x, shape)).ToArray(), expected.Y, null, 1, 1e-5 * conditioning);
                }));
            }
        }
        mismatches.AssertNone();
    }

    // ---------------------------------------------------------------- Fused sequences

    [Fact]
    public void FusedSequencesMatchUnfused()
    {
        var mismatches = new Mismatches();
        var r = new Random(4242);
        for (int iter = 0; iter < 32; iter++)
        {
            int kind = iter % 4; // 0: BN1d+ReLU+Dropout [N,C]; 1: the same on [N,C,L]; 2: BN2d+ReLU+MaxPool2d; 3: BN2d+ReLU+Dropout
            int n, c, h = 1, w = 1, inner;
            if (kind == 0) { n = Math.Max(2, Pick(r, 300)); c = Pick(r, 300); inner = 1; }
            else if (kind == 1) { n = Pick(r, 40); c = Pick(r, 40); inner = Pick(r, 100); if (n * inner < 2) n = 2; }
            else { n = new[] { 1, 2, 3, 5, 9, 17 }[r.Next(6)]; c = Pick(r, 33); h = r.Next(2, 30); w = r.Next(2, 30); inner = h * w; }
            if (iter % 16 >= 14) { n = r.Next(9, 20); c = r.Next(8, 20); h = r.Next(20, 40); w = r.Next(20, 40); inner = h * w; } // kinds 2 and 3, large
            bool training = kind != 2 || r.Next(3) != 0;
            float p = new[] { 0.1f, 0.3f, 0.5f, 0.9f }[r.Next(4)];
            int[] shape = kind == 0 ? [n, c] : kind == 1 ? [n, c, inner] : [n, c, h, w];
            var x = Rand(r, n * c * inner, -2, 3);
            var gamma = Rand(r, c, 0.5f, 2f); var beta = Rand(r, c);
            var rm = Rand(r, c, -0.5f, 0.5f); var rv = Rand(r, c, 0.5f, 2f);
            ulong seed = (ulong)r.Next();
            (Sequential Sequence, BatchNormBase Norm) Make()
            {
                BatchNormBase bn = kind >= 2 ? new BatchNorm2d(c) : new BatchNorm1d(c);
                gamma.CopyTo(bn.Weight!.Span); beta.CopyTo(bn.Bias!.Span);
                rm.CopyTo(bn.RunningMean!.Span); rv.CopyTo(bn.RunningVar!.Span);
                Module last = kind == 2 ? new MaxPool2d(2, 2) : new Dropout(p, new Generator(seed));
                var sequence = new Sequential(bn, new ReLU(), last);
                sequence.Train(training);
                return (sequence, bn);
            }
            var gy = Rand(r, kind == 2 ? n * c * (h / 2) * (w / 2) : x.Length);
            foreach (int threads in ThreadCounts)
            {
                string context = $"{(kind == 2 ? "BN2d+ReLU+MaxPool2d" : "BN+ReLU+Dropout")} shape=[{string.Join(",", shape)}] training={training} p={p} threads={threads}";
                mismatches.Case(context, () => ThreadCount.With(threads, () =>
                {
                    var (fused, fusedNorm) = Make();
                    var (apart, apartNorm) = Make();
                    var xf = Of(x, shape); xf.RequiresGrad = true;
                    var xa = Of(x, shape); xa.RequiresGrad = true;
                    var yf = fused.Forward(xf);
                    var ya = apart[2].Forward(apart[1].Forward(apart[0].Forward(xa)));
                    if (!yf.Shape.SequenceEqual(ya.Shape)) { mismatches.Add($"{context}: shape [{string.Join(",", yf.Shape)}], unfused [{string.Join(",", ya.Shape)}]"); return; }
                    var yfused = yf.ToArray(); var yapart = ya.ToArray();
                    (yf * Of(gy, yf.Shape)).Sum().Backward();
                    (ya * Of(gy, ya.Shape)).Sum().Backward();
                    double count = (double)n * inner;
                    mismatches.Check(context, "y", yfused, Widen(yapart), null, 1);
                    mismatches.Check(context, "dx", xf.Grad!.ToArray(), Widen(xa.Grad!), null, count, 1e-4);
                    mismatches.Check(context, "dgamma", fusedNorm.Weight!.Grad!.ToArray(), Widen(apartNorm.Weight!.Grad!), null, count, 1e-4);
                    mismatches.Check(context, "dbeta", fusedNorm.Bias!.Grad!.ToArray(), Widen(apartNorm.Bias!.Grad!), null, count, 1e-4);
                    mismatches.Check(context, "running_mean", fusedNorm.RunningMean!.ToArray(), Widen(apartNorm.RunningMean!), null, 1, 1e-6);
                    mismatches.Check(context, "running_var", fusedNorm.RunningVar!.ToArray(), Widen(apartNorm.RunningVar!), null, 1, 1e-6);
                    if (kind != 2) // against doubles too: relu(bn(x)) / (1 − p) where the unfused dropout kept the element
                    {
                        var expected = NaiveBatchNorm(x, n, c, inner, gamma, beta, true, rm, rv, 1e-5f, true, new float[x.Length]);
                        var y = new double[x.Length];
                        for (int i = 0; i < x.Length; i++) y[i] = yapart[i] == 0 ? 0 : expected.Y[i] / (1 - p);
                        mismatches.Check(context, "y against doubles", yfused, y, null, 1);
                    }
                }));
            }
        }
        mismatches.AssertNone();
    }

    // ---------------------------------------------------------------- Predict

    /// <summary>A stack of dense layers in doubles: y = f(x·Wᵀ + b), f an optional per-column scale and shift (a folded
    /// batch norm) then an optional ReLU.</summary>
    static double[] NaiveMlp(float[] x, int rows, List<(float[] W, float[]? B, int In, int Out, bool Relu, float[]? Scale, float[]? Shift)> layers)
    {
        double[] current = Widen(x);
        foreach (var (W, B, In, Out, Relu, Scale, Shift) in layers)
        {
            var next = new double[rows * Out];
            for (int i = 0; i < rows; i++)
                for (int o = 0; o < Out; o++)
                {
                    double s = B?[o] ?? 0;
                    for (int p = 0; p < In; p++) s += current[i * In + p] * W[o * In + p];
                    if (Scale != null) s = s * Scale[o] + Shift![o];
                    if (Relu) s = Math.Max(0, s);
                    next[i * Out + o] = s;
                }
            current = next;
        }
        return current;
    }

    [Fact]
    public void PredictMatchesForwardAndDoubleReference()
    {
        var mismatches = new Mismatches();
        var r = new Random(2024);
        for (int iter = 0; iter < 16; iter++)
        {
            int inF = Size(r, iter, 0, 300), h1 = Size(r, iter, 1, 200), h2 = Size(r, iter, 2, 130), outF = Size(r, iter, 3, 40);
            if (iter % 5 == 0) { inF = r.Next(300, 800); h1 = r.Next(100, 300); }
            int samples = new[] { 1, 2, 3, 7, 33, 65, 129, 257, 333, 600 }[r.Next(10)];
            int batchSize = new[] { 1, 7, 50, 128, 129, 1000 }[r.Next(6)];
            if (samples / batchSize > 80) batchSize = 128;
            int variant = iter % 4;
            var g = new Generator((ulong)iter + 11);
            var lin1 = new Linear(inF, h1, r.Next(4) != 0, g);
            var bn = new BatchNorm1d(h1);
            Rand(r, h1, 0.5f, 2f).CopyTo(bn.Weight!.Span); Rand(r, h1).CopyTo(bn.Bias!.Span);
            Rand(r, h1, -0.3f, 0.3f).CopyTo(bn.RunningMean!.Span); Rand(r, h1, 0.5f, 2f).CopyTo(bn.RunningVar!.Span);
            var lin2 = new Linear(h1, h2, r.Next(4) != 0, g);
            var lin3 = new Linear(h2, outF, r.Next(4) != 0, g);
            Module[] layers = variant switch
            {
                0 => [lin1, bn, new ReLU(), lin2, new ReLU(), lin3],
                1 => [lin1, new ReLU(), new Dropout(0.3f), lin2, new ReLU(), lin3],
                2 => [lin1, bn, lin2, lin3],
                _ => [lin1, bn, new ReLU(), new Dropout(0.5f), lin2, new ReLU(), lin3],
            };
            var model = new Sequential(layers);
            var scale = new float[h1]; var shift = new float[h1];
            for (int k = 0; k < h1; k++)
            {
                double rs = 1 / Math.Sqrt(bn.RunningVar!.Span[k] + (double)1e-5f);
                scale[k] = (float)(bn.Weight!.Span[k] * rs);
                shift[k] = (float)(bn.Bias!.Span[k] - bn.RunningMean!.Span[k] * bn.Weight!.Span[k] * rs);
            }
            bool folded = variant != 1, relu = variant != 2;
            var x = Rand(r, samples * inF);
            var expected = NaiveMlp(x, samples,
            [
                (lin1.Weight.ToArray(), lin1.Bias?.ToArray(), inF, h1, relu, folded ? scale : null, folded ? shift : null),
                (lin2.Weight.ToArray(), lin2.Bias?.ToArray(), h1, h2, relu, null, null),
                (lin3.Weight.ToArray(), lin3.Bias?.ToArray(), h2, outF, false, null, null),
            ]);
            double k1 = Math.Max(inF, h1);
            foreach (int threads in ThreadCounts)
            {
                string context = $"MLP variant={variant} in={inF} h1={h1} h2={h2} out={outF} samples={samples} batchSize={batchSize} threads={threads}";
                mismatches.Case(context, () => ThreadCount.With(threads, () =>
                {
                    model.Train();
                    var predicted = model.Predict(Of(x, samples, inF), batchSize);
                    Assert.True(model.IsTraining); // Predict gives the mode back
                    model.Eval();
                    var forward = model.Forward(Of(x, samples, inF));
                    Tensor forwardNoGrad;
                    using (Autograd.NoGrad()) forwardNoGrad = model.Forward(Of(x, samples, inF));
                    mismatches.Check(context, "Predict", predicted.ToArray(), expected, null, k1, 1e-4);
                    mismatches.Check(context, "Forward (eval)", forward.ToArray(), expected, null, k1, 1e-4);
                    mismatches.Check(context, "Forward (eval, no grad)", forwardNoGrad.ToArray(), expected, null, k1, 1e-4);
                    mismatches.Check(context, "Predict against Forward", predicted.ToArray(), Widen(forward), null, k1, 1e-4);
                    var batches = new List<Tensor>();
                    for (int start = 0; start < samples; start += batchSize)
                    {
                        int length = Math.Min(batchSize, samples - start);
                        batches.Add(Of(x[(start * inF)..((start + length) * inF)], length, inF));
                    }
                    float[] joined = [.. model.Predict(batches).SelectMany(o => o.ToArray())];
                    mismatches.Check(context, "Predict (batches)", joined, expected, null, k1, 1e-4);
                }));
            }
        }
        // Conv2d → BatchNorm2d → ReLU → MaxPool2d → Flatten → Linear, against the same layers one at a time
        for (int iter = 0; iter < 6; iter++)
        {
            int c = r.Next(1, 4), o = r.Next(1, 20), hh = r.Next(4, 20), ww = r.Next(4, 20), classes = r.Next(1, 12);
            int samples = new[] { 1, 3, 7, 33, 65, 130 }[r.Next(6)], batchSize = new[] { 1, 7, 32, 128 }[r.Next(4)];
            var g = new Generator((ulong)iter + 101);
            var conv = new Conv2d(c, o, 3, padding: 1, generator: g);
            var bn = new BatchNorm2d(o);
            Rand(r, o, 0.5f, 2f).CopyTo(bn.Weight!.Span); Rand(r, o).CopyTo(bn.Bias!.Span);
            Rand(r, o, -0.3f, 0.3f).CopyTo(bn.RunningMean!.Span); Rand(r, o, 0.5f, 2f).CopyTo(bn.RunningVar!.Span);
            var lin = new Linear(o * (hh / 2) * (ww / 2), classes, true, g);
            var model = new Sequential(conv, bn, new ReLU(), new MaxPool2d(2), new Flatten(), lin);
            var x = Rand(r, samples * c * hh * ww);
            foreach (int threads in ThreadCounts)
            {
                string context = $"ConvNet c={c} o={o} hw={hh}x{ww} classes={classes} samples={samples} batchSize={batchSize} threads={threads}";
                mismatches.Case(context, () => ThreadCount.With(threads, () =>
                {
                    var predicted = model.Predict(Of(x, samples, c, hh, ww), batchSize);
                    model.Eval();
                    var forward = model.Forward(Of(x, samples, c, hh, ww));
                    var layered = Of(x, samples, c, hh, ww);
                    for (int i = 0; i < model.Count; i++) layered = model[i].Forward(layered);
                    model.Train();
                    mismatches.Check(context, "Predict against Forward", predicted.ToArray(), Widen(forward), null, 64, 1e-4);
                    mismatches.Check(context, "Forward against the layers one at a time", forward.ToArray(), Widen(layered), null, 64, 1e-4);
                }));
            }
        }
        mismatches.AssertNone();
    }
}
