using Occam.Kernels;

namespace Occam.Tests.Kernels;

public class PoolTests
{
    public record Geometry(int N, int C, int H, int W, int KH, int KW, int SH, int SW, int PH, int PW)
    {
        public int OutH => Im2Col.OutputSize(H, KH, SH, PH, 1);
        public int OutW => Im2Col.OutputSize(W, KW, SW, PW, 1);
        public int InputLength => N * C * H * W;
        public int OutputLength => N * C * OutH * OutW;
    }

    // Kernels 1..5, strides 1..3, every legal padding, odd and non-square sizes.
    public static IEnumerable<Geometry> Geometries()
    {
        var rng = new Random(99);
        for (int kh = 1; kh <= 5; kh++)
            for (int kw = 1; kw <= 5; kw++)
                for (int s = 1; s <= 3; s++)
                    for (int p = 0; p <= 2; p++)
                    {
                        int ph = Math.Min(p, kh / 2), pw = Math.Min(rng.Next(0, 3), kw / 2);
                        var g = new Geometry(rng.Next(1, 3), rng.Next(1, 3), rng.Next(1, 11), rng.Next(1, 12),
                            kh, kw, s, rng.Next(1, 4), ph, pw);
                        if (g.OutH >= 1 && g.OutW >= 1) yield return g;
                    }
        yield return new Geometry(2, 3, 8, 8, 2, 2, 2, 2, 0, 0);
        yield return new Geometry(1, 2, 7, 37, 2, 2, 2, 2, 0, 0);
        yield return new Geometry(1, 1, 5, 5, 3, 3, 1, 1, 1, 1);
    }

    // Small integers so that windows often tie; a sprinkle of NaN and −∞.
    private static float[] TieProneArray(Random rng, int length, bool specials)
    {
        var a = new float[length];
        for (int i = 0; i < length; i++)
        {
            a[i] = rng.Next(-3, 4);
            if (specials && rng.Next(40) == 0) a[i] = float.NaN;
            else if (specials && rng.Next(40) == 0) a[i] = float.NegativeInfinity;
        }
        return a;
    }

    private static float[] RandomArray(Random rng, int length)
    {
        var a = new float[length];
        for (int i = 0; i < length; i++) a[i] = (float)(rng.NextDouble() * 2 - 1);
        return a;
    }

    // Transcribed from PyTorch's cpu_max_pool: padding is −∞, strict > keeps the first maximum, NaN always wins.
    private static (float[] Out, int[] Arg) NaiveMax(float[] x, Geometry g)
    {
        var y = new float[g.OutputLength];
        var arg = new int[g.OutputLength];
        for (int p = 0; p < g.N * g.C; p++)
            for (int oh = 0; oh < g.OutH; oh++)
                for (int ow = 0; ow < g.OutW; ow++)
                {
                    float best = float.NegativeInfinity;
                    int bestIndex = -1;
                    for (int ki = 0; ki < g.KH; ki++)
                        for (int kj = 0; kj < g.KW; kj++)
                        {
                            int ih = oh * g.SH - g.PH + ki, iw = ow * g.SW - g.PW + kj;
                            if (ih < 0 || ih >= g.H || iw < 0 || iw >= g.W) continue;
                            float v = x[(p * g.H + ih) * g.W + iw];
                            if (bestIndex < 0 || v > best || float.IsNaN(v)) { best = v; bestIndex = ih * g.W + iw; }
                        }
                    int o = (p * g.OutH + oh) * g.OutW + ow;
                    y[o] = best;
                    arg[o] = bestIndex;
                }
        return (y, arg);
    }

    private static (float[] Out, int[] Arg) Max(float[] x, Geometry g)
    {
        var y = new float[g.OutputLength];
        var arg = new int[g.OutputLength];
        Pool.MaxForward(x, g.N, g.C, g.H, g.W, g.KH, g.KW, g.SH, g.SW, g.PH, g.PW, y, arg);
        return (y, arg);
    }

    private static double[] NaiveAvg(float[] x, Geometry g, bool includePad)
    {
        var y = new double[g.OutputLength];
        for (int p = 0; p < g.N * g.C; p++)
            for (int oh = 0; oh < g.OutH; oh++)
                for (int ow = 0; ow < g.OutW; ow++)
                {
                    double sum = 0;
                    int real = 0, padded = 0;
                    for (int ki = 0; ki < g.KH; ki++)
                        for (int kj = 0; kj < g.KW; kj++)
                        {
                            int ih = oh * g.SH - g.PH + ki, iw = ow * g.SW - g.PW + kj;
                            // Positions inside the padded input count for count_include_pad.
                            if (ih < g.H + g.PH && iw < g.W + g.PW) padded++;
                            if (ih < 0 || ih >= g.H || iw < 0 || iw >= g.W) continue;
                            sum += x[(p * g.H + ih) * g.W + iw];
                            real++;
                        }
                    y[(p * g.OutH + oh) * g.OutW + ow] = sum / (includePad ? padded : real);
                }
        return y;
    }

    [Fact]
    public void MaxForward_matches_pytorch_semantics_with_ties_nan_and_padding()
    {
        var rng = new Random(1);
        int count = 0;
        foreach (var g in Geometries())
            foreach (bool specials in new[] { false, true })
            {
                var x = TieProneArray(rng, g.InputLength, specials);
                var (y, arg) = Max(x, g);
                var (ey, earg) = NaiveMax(x, g);
                Assert.True(ey.AsSpan().SequenceEqual(y), $"max values differ for {g}");
                Assert.True(earg.AsSpan().SequenceEqual(arg), $"argmax differs for {g}");
                count++;
            }
        Assert.True(count > 300, $"only {count} cases");
    }

    [Fact]
    public void Max2x2_fast_path_matches_the_naive_pool_for_every_width()
    {
        var rng = new Random(2);
        for (int w = 2; w <= 70; w++)
            foreach (int h in new[] { 2, 3, 6 })
            {
                var g = new Geometry(1, 2, h, w, 2, 2, 2, 2, 0, 0);
                var x = TieProneArray(rng, g.InputLength, specials: true);
                var (y, arg) = Max(x, g);
                var (ey, earg) = NaiveMax(x, g);
                Assert.True(ey.AsSpan().SequenceEqual(y), $"2x2 max values differ for w={w}, h={h}");
                Assert.True(earg.AsSpan().SequenceEqual(arg), $"2x2 argmax differs for w={w}, h={h}");
            }
    }

    [Fact]
    public void Max2x2_ties_take_the_first_element_and_nan_the_last()
    {
        var g = new Geometry(1, 1, 2, 16, 2, 2, 2, 2, 0, 0);
        var x = new float[32];
        // window 0: all equal → index 0; window 1: tie between (0,3) and (1,2) → 3;
        // window 2: NaN at (0,4) and (1,5) → last NaN, 16 + 5; window 3: all −∞ → first, 6.
        x[3] = 1; x[16 + 2] = 1;
        x[4] = float.NaN; x[16 + 5] = float.NaN;
        x[6] = x[7] = x[16 + 6] = x[16 + 7] = float.NegativeInfinity;
        var (y, arg) = Max(x, g);
        Assert.Equal(new[] { 0, 3, 21, 6 }, arg[..4]);
        Assert.Equal(0f, y[0]);
        Assert.Equal(1f, y[1]);
        Assert.True(float.IsNaN(y[2]));
        Assert.Equal(float.NegativeInfinity, y[3]);
    }

    [Fact]
    public void MaxBackward_routes_gradient_to_argmax_and_accumulates()
    {
        var rng = new Random(3);
        foreach (var g in Geometries())
        {
            var x = TieProneArray(rng, g.InputLength, specials: false);
            var (_, arg) = Max(x, g);
            var dy = RandomArray(rng, g.OutputLength);
            var dx = RandomArray(rng, g.InputLength);
            var expected = dx.Select(v => (double)v).ToArray();
            for (int o = 0; o < dy.Length; o++)
            {
                int plane = o / (g.OutH * g.OutW);
                expected[plane * g.H * g.W + arg[o]] += dy[o];
            }
            Pool.MaxBackward(dy, arg, g.N, g.C, g.H, g.W, g.OutH, g.OutW, dx);
            for (int i = 0; i < dx.Length; i++)
                Assert.True(Math.Abs(dx[i] - expected[i]) < 1e-5, $"max backward differs for {g} at {i}");
        }
    }

    [Fact]
    public void MaxBackward_with_overwrite_ignores_what_inputGrad_held()
    {
        var rng = new Random(5);
        foreach (var g in Geometries())
        {
            var x = TieProneArray(rng, g.InputLength, specials: false);
            var (_, arg) = Max(x, g);
            var dy = RandomArray(rng, g.OutputLength);
            var added = new float[g.InputLength];
            Pool.MaxBackward(dy, arg, g.N, g.C, g.H, g.W, g.OutH, g.OutW, added);
            var overwritten = RandomArray(rng, g.InputLength);
            overwritten[0] = float.NaN;
            Pool.MaxBackward(dy, arg, g.N, g.C, g.H, g.W, g.OutH, g.OutW, overwritten, overwrite: true);
            Assert.Equal(added, overwritten);
        }
    }

    [Fact]
    public void AvgForward_matches_the_naive_pool_both_divisors()
    {
        var rng = new Random(4);
        foreach (var g in Geometries())
            foreach (bool includePad in new[] { true, false })
            {
                var x = RandomArray(rng, g.InputLength);
                var y = new float[g.OutputLength];
                Array.Fill(y, float.NaN);
                Pool.AvgForward(x, g.N, g.C, g.H, g.W, g.KH, g.KW, g.SH, g.SW, g.PH, g.PW, includePad, y);
                var e = NaiveAvg(x, g, includePad);
                for (int i = 0; i < y.Length; i++)
                    Assert.True(Math.Abs(y[i] - e[i]) < 1e-5, $"avg differs for {g}, includePad={includePad} at {i}: {y[i]} vs {e[i]}");
            }
    }

    [Fact]
    public void Avg2x2_fast_path_sums_in_scan_order_for_every_width()
    {
        var rng = new Random(6);
        for (int w = 2; w <= 70; w++)
        {
            var g = new Geometry(1, 2, 5, w, 2, 2, 2, 2, 0, 0);
            var x = RandomArray(rng, g.InputLength);
            var y = new float[g.OutputLength];
            Pool.AvgForward(x, g.N, g.C, g.H, g.W, 2, 2, 2, 2, 0, 0, true, y);
            for (int p = 0; p < 2; p++)
                for (int oh = 0; oh < g.OutH; oh++)
                    for (int ow = 0; ow < g.OutW; ow++)
                    {
                        int i = (p * g.H + 2 * oh) * w + 2 * ow;
                        float expected = (x[i] + x[i + 1] + x[i + w] + x[i + w + 1]) / 4;
                        Assert.Equal(expected, y[(p * g.OutH + oh) * g.OutW + ow]);
                    }
        }
    }

    [Fact]
    public void AvgPool_divisors_at_the_border()
    {
        // 3×3 window, padding 1 on a 4×4 plane of ones: corners see 4 real of 9 padded positions.
        var ones = Enumerable.Repeat(1f, 16).ToArray();
        var y = new float[16];
        Pool.AvgForward(ones, 1, 1, 4, 4, 3, 3, 1, 1, 1, 1, countIncludePad: true, y);
        Assert.Equal(4f / 9, y[0], 6);
        Assert.Equal(6f / 9, y[1], 6);
        Assert.Equal(1f, y[5], 6);
        Pool.AvgForward(ones, 1, 1, 4, 4, 3, 3, 1, 1, 1, 1, countIncludePad: false, y);
        Assert.All(y, v => Assert.Equal(1f, v, 6));
    }

    [Fact]
    public void AvgBackward_is_the_adjoint_of_forward_and_accumulates()
    {
        var rng = new Random(5);
        foreach (var g in Geometries())
            foreach (bool includePad in new[] { true, false })
            {
                var x = RandomArray(rng, g.InputLength);
                var dy = RandomArray(rng, g.OutputLength);
                var y = new float[g.OutputLength];
                Pool.AvgForward(x, g.N, g.C, g.H, g.W, g.KH, g.KW, g.SH, g.SW, g.PH, g.PW, includePad, y);
                var start = RandomArray(rng, g.InputLength);
                var dx = (float[])start.Clone();
                Pool.AvgBackward(dy, g.N, g.C, g.H, g.W, g.KH, g.KW, g.SH, g.SW, g.PH, g.PW, includePad, dx);

                double lhs = 0, rhs = 0;
                for (int i = 0; i < y.Length; i++) lhs += (double)y[i] * dy[i];
                for (int i = 0; i < x.Length; i++) rhs += (double)x[i] * (dx[i] - start[i]);
                Assert.True(Math.Abs(lhs - rhs) < 1e-4 * (1 + Math.Abs(lhs)), $"avg adjoint differs for {g}, includePad={includePad}: {lhs} vs {rhs}");
            }
    }

    [Fact]
    public void Bad_arguments_name_the_op_and_the_values()
    {
        var x = new float[2 * 3 * 8 * 8];
        var y = new float[2 * 3 * 8 * 8];
        var arg = new int[2 * 3 * 8 * 8];

        var e = Assert.Throws<ArgumentException>(() => Pool.MaxForward(x, 2, 3, 8, 8, 3, 3, 1, 1, 2, 0, y, arg));
        Assert.Equal("MaxPool2d: pad should be at most half of kernel size, got padding 2 for kernel 3", e.Message);
        e = Assert.Throws<ArgumentException>(() => Pool.AvgForward(x, 2, 3, 8, 8, 2, 4, 1, 1, 0, 3, true, y));
        Assert.Equal("AvgPool2d: pad should be at most half of kernel size, got padding 3 for kernel 4", e.Message);
        e = Assert.Throws<ArgumentException>(() => Pool.MaxForward(x, 2, 3, 8, 8, 9, 2, 1, 1, 0, 0, y, arg));
        Assert.StartsWith("MaxPool2d: output size would be [0, 7]", e.Message);
        e = Assert.Throws<ArgumentException>(() => Pool.MaxForward(x, 2, 3, 8, 8, 2, 2, 0, 2, 0, 0, y, arg));
        Assert.Equal("MaxPool2d: stride must be >= 1, got [0, 2]", e.Message);
        e = Assert.Throws<ArgumentException>(() => Pool.MaxForward(x, 2, 3, 8, 8, 2, 2, 2, 2, 0, 0, y, new int[47]));
        Assert.Equal("MaxPool2d: argmax has 47 elements, needs 96", e.Message);
        e = Assert.Throws<ArgumentException>(() => Pool.MaxForward(x.AsSpan(1), 2, 3, 8, 8, 2, 2, 2, 2, 0, 0, y, arg));
        Assert.Equal("MaxPool2d: input has 383 elements, needs 384", e.Message);
        e = Assert.Throws<ArgumentException>(() => Pool.AvgForward(x, 2, 3, 8, 8, 2, 2, 2, 2, 0, 0, true, new float[10]));
        Assert.Equal("AvgPool2d: output has 10 elements, needs 96", e.Message);
        e = Assert.Throws<ArgumentException>(() => Pool.AvgBackward(new float[96], 2, 3, 8, 8, 2, 2, 2, 2, 0, 0, true, new float[5]));
        Assert.Equal("AvgPool2d: inputGrad has 5 elements, needs 384", e.Message);
        e = Assert.Throws<ArgumentException>(() => Pool.MaxBackward(new float[96], new int[96], 2, 3, 8, 8, 4, 4, new float[100]));
        Assert.Equal("MaxPool2d: inputGrad has 100 elements, needs 384", e.Message);
        var badArg = new int[96];
        badArg[5] = 64;
        e = Assert.Throws<ArgumentException>(() => Pool.MaxBackward(new float[96], badArg, 2, 3, 8, 8, 4, 4, new float[384]));
        Assert.StartsWith("MaxPool2d: argmax 64", e.Message);
    }
}
