using Occam.Kernels;

namespace Occam.Tests.Kernels;

public class Im2ColTests
{
    public record Geometry(int C, int H, int W, int KH, int KW, int SH, int SW, int PH, int PW, int DH, int DW)
    {
        public int OutH => Im2Col.OutputSize(H, KH, SH, PH, DH);
        public int OutW => Im2Col.OutputSize(W, KW, SW, PW, DW);
        public int ColumnsLength => C * KH * KW * OutH * OutW;
    }

    // Kernels 1..5, strides 1..3, padding 0..2, dilation 1..2, odd and non-square sizes.
    public static IEnumerable<Geometry> Geometries()
    {
        var rng = new Random(1234);
        for (int k = 1; k <= 5; k++)
            for (int s = 1; s <= 3; s++)
                for (int p = 0; p <= 2; p++)
                    for (int d = 1; d <= 2; d++)
                    {
                        int h = rng.Next(1, 12), w = rng.Next(1, 14);
                        int kw = rng.Next(1, 6), sw = rng.Next(1, 4), pw = rng.Next(0, 3), dw = rng.Next(1, 3);
                        var g = new Geometry(rng.Next(1, 4), h, w, k, kw, s, sw, p, pw, d, dw);
                        if (g.OutH >= 1 && g.OutW >= 1) yield return g;
                        var square = new Geometry(2, 9, 9, k, k, s, s, p, p, d, d);
                        if (square.OutH >= 1) yield return square;
                    }
        // inputs of one or two rows under a taller kernel with "same" padding: whole kernel rows read only padding
        yield return new Geometry(2, 1, 10, 3, 3, 1, 1, 1, 1, 1, 1);
        yield return new Geometry(1, 2, 5, 5, 3, 1, 1, 2, 1, 1, 1);
        yield return new Geometry(3, 1, 1, 3, 3, 1, 1, 1, 1, 1, 1);
    }

    private static float[] RandomArray(Random rng, int length)
    {
        var a = new float[length];
        for (int i = 0; i < length; i++) a[i] = (float)(rng.NextDouble() * 2 - 1);
        return a;
    }

    private static float[] NaiveIm2Col(float[] x, Geometry g)
    {
        var cols = new float[g.ColumnsLength];
        int plane = g.OutH * g.OutW;
        for (int c = 0; c < g.C; c++)
            for (int ki = 0; ki < g.KH; ki++)
                for (int kj = 0; kj < g.KW; kj++)
                    for (int oh = 0; oh < g.OutH; oh++)
                        for (int ow = 0; ow < g.OutW; ow++)
                        {
                            int ih = oh * g.SH - g.PH + ki * g.DH, iw = ow * g.SW - g.PW + kj * g.DW;
                            bool inside = ih >= 0 && ih < g.H && iw >= 0 && iw < g.W;
                            cols[((c * g.KH + ki) * g.KW + kj) * plane + oh * g.OutW + ow] =
                                inside ? x[(c * g.H + ih) * g.W + iw] : 0;
                        }
        return cols;
    }

    private static void Forward(float[] x, Geometry g, float[] cols) =>
        Im2Col.Forward(x, g.C, g.H, g.W, g.KH, g.KW, g.SH, g.SW, g.PH, g.PW, g.DH, g.DW, cols);

    private static void Backward(float[] cols, Geometry g, float[] dx) =>
        Im2Col.Backward(cols, g.C, g.H, g.W, g.KH, g.KW, g.SH, g.SW, g.PH, g.PW, g.DH, g.DW, dx);

    [Theory]
    [InlineData(5, 3, 1, 0, 1, 3)]
    [InlineData(5, 3, 1, 1, 1, 5)]
    [InlineData(7, 3, 2, 1, 1, 4)]
    [InlineData(6, 3, 2, 0, 1, 2)]
    [InlineData(7, 3, 1, 2, 2, 7)]
    [InlineData(28, 5, 1, 2, 1, 28)]
    [InlineData(2, 3, 2, 0, 1, 0)]
    [InlineData(1, 3, 1, 0, 1, -1)]
    [InlineData(4, 3, 3, 0, 2, 0)]
    public void OutputSize_follows_the_floor_formula(int input, int kernel, int stride, int pad, int dilation, int expected) =>
        Assert.Equal(expected, Im2Col.OutputSize(input, kernel, stride, pad, dilation));

    [Fact]
    public void Forward_matches_the_definition_and_overwrites_columns()
    {
        var rng = new Random(1);
        int count = 0;
        foreach (var g in Geometries())
        {
            var x = RandomArray(rng, g.C * g.H * g.W);
            var cols = new float[g.ColumnsLength];
            Array.Fill(cols, float.NaN); // stale garbage must be overwritten, padding included
            Forward(x, g, cols);
            Assert.True(NaiveIm2Col(x, g).AsSpan().SequenceEqual(cols), $"im2col mismatch for {g}");
            count++;
        }
        Assert.True(count > 150, $"only {count} geometries");
    }

    [Fact]
    public void Weights_times_columns_equals_direct_convolution()
    {
        var rng = new Random(2);
        const int outC = 3;
        foreach (var g in Geometries())
        {
            var x = RandomArray(rng, g.C * g.H * g.W);
            int k = g.C * g.KH * g.KW, plane = g.OutH * g.OutW;
            var weight = RandomArray(rng, outC * k); // [outC, C, kH, kW]
            var cols = new float[g.ColumnsLength];
            Forward(x, g, cols);

            for (int oc = 0; oc < outC; oc++)
                for (int oh = 0; oh < g.OutH; oh++)
                    for (int ow = 0; ow < g.OutW; ow++)
                    {
                        double viaColumns = 0;
                        for (int r = 0; r < k; r++) viaColumns += weight[oc * k + r] * cols[r * plane + oh * g.OutW + ow];

                        double direct = 0;
                        for (int c = 0; c < g.C; c++)
                            for (int ki = 0; ki < g.KH; ki++)
                                for (int kj = 0; kj < g.KW; kj++)
                                {
                                    int ih = oh * g.SH - g.PH + ki * g.DH, iw = ow * g.SW - g.PW + kj * g.DW;
                                    if (ih < 0 || ih >= g.H || iw < 0 || iw >= g.W) continue;
                                    direct += weight[((oc * g.C + c) * g.KH + ki) * g.KW + kj] * x[(c * g.H + ih) * g.W + iw];
                                }
                        Assert.True(Math.Abs(viaColumns - direct) < 1e-5, $"conv mismatch for {g} at ({oc},{oh},{ow}): {viaColumns} vs {direct}");
                    }
        }
    }

    [Fact]
    public void Backward_is_the_adjoint_of_forward()
    {
        var rng = new Random(3);
        foreach (var g in Geometries())
        {
            var x = RandomArray(rng, g.C * g.H * g.W);
            var y = RandomArray(rng, g.ColumnsLength);
            var cols = new float[g.ColumnsLength];
            Forward(x, g, cols);
            var dx = new float[x.Length];
            Backward(y, g, dx);

            double lhs = 0, rhs = 0;
            for (int i = 0; i < cols.Length; i++) lhs += (double)cols[i] * y[i];
            for (int i = 0; i < x.Length; i++) rhs += (double)x[i] * dx[i];
            Assert.True(Math.Abs(lhs - rhs) < 1e-4 * (1 + Math.Abs(lhs)), $"adjoint mismatch for {g}: {lhs} vs {rhs}");
        }
    }

    [Fact]
    public void Backward_matches_scattering_and_accumulates()
    {
        var rng = new Random(4);
        foreach (var g in Geometries())
        {
            var y = RandomArray(rng, g.ColumnsLength);
            var start = RandomArray(rng, g.C * g.H * g.W);
            var expected = start.Select(v => (double)v).ToArray();
            int plane = g.OutH * g.OutW;
            for (int c = 0; c < g.C; c++)
                for (int ki = 0; ki < g.KH; ki++)
                    for (int kj = 0; kj < g.KW; kj++)
                        for (int oh = 0; oh < g.OutH; oh++)
                            for (int ow = 0; ow < g.OutW; ow++)
                            {
                                int ih = oh * g.SH - g.PH + ki * g.DH, iw = ow * g.SW - g.PW + kj * g.DW;
                                if (ih < 0 || ih >= g.H || iw < 0 || iw >= g.W) continue;
                                expected[(c * g.H + ih) * g.W + iw] += y[((c * g.KH + ki) * g.KW + kj) * plane + oh * g.OutW + ow];
                            }
            var dx = (float[])start.Clone();
            Backward(y, g, dx);
            for (int i = 0; i < dx.Length; i++)
                Assert.True(Math.Abs(dx[i] - expected[i]) < 1e-5, $"col2im mismatch for {g} at {i}: {dx[i]} vs {expected[i]}");
        }
    }

    // The block path (stride 1, "same" width) of BackwardInPlace must give Backward's result bit for bit, and only
    // ever zero entries of the scratch columns.
    [Fact]
    public void BackwardInPlace_equals_Backward_bit_for_bit()
    {
        var rng = new Random(5);
        var geometries = Geometries().Concat([new Geometry(3, 28, 28, 3, 3, 1, 1, 1, 1, 1, 1), new Geometry(2, 14, 14, 5, 5, 1, 1, 2, 2, 1, 1),
            new Geometry(2, 7, 7, 3, 3, 1, 1, 2, 2, 2, 2), new Geometry(1, 5, 6, 3, 1, 1, 1, 0, 0, 1, 1)]);
        int shifted = 0;
        foreach (var g in geometries)
        {
            if (g.SH == 1 && g.SW == 1 && g.OutW == g.W) shifted++;
            var y = RandomArray(rng, g.ColumnsLength);
            var start = RandomArray(rng, g.C * g.H * g.W);
            var expected = (float[])start.Clone();
            Backward(y, g, expected);
            var scratch = (float[])y.Clone();
            var actual = (float[])start.Clone();
            Im2Col.BackwardInPlace(scratch, g.C, g.H, g.W, g.KH, g.KW, g.SH, g.SW, g.PH, g.PW, g.DH, g.DW, actual);
            Assert.Equal(expected, actual);
            for (int i = 0; i < y.Length; i++) Assert.True(scratch[i] == y[i] || scratch[i] == 0, $"{g}: column {i} changed to {scratch[i]}");
        }
        Assert.True(shifted >= 4, $"only {shifted} geometries took the block path");
    }

    [Fact]
    public void One_by_one_kernel_is_a_copy_and_its_backward_an_add()
    {
        var rng = new Random(5);
        var g = new Geometry(3, 5, 7, 1, 1, 1, 1, 0, 0, 1, 1);
        var x = RandomArray(rng, 3 * 5 * 7);
        var cols = new float[g.ColumnsLength + 4];
        Array.Fill(cols, 42f);
        Forward(x, g, cols);
        Assert.Equal(x, cols[..x.Length]);
        Assert.All(cols[x.Length..], v => Assert.Equal(42f, v)); // writes nothing past its block

        var dx = Enumerable.Repeat(1f, x.Length).ToArray();
        Backward(x, g, dx);
        Assert.Equal(x.Select(v => v + 1f).ToArray(), dx);
    }

    [Fact]
    public void Works_on_a_channel_sub_range_for_groups()
    {
        var rng = new Random(6);
        var whole = new Geometry(4, 6, 5, 3, 3, 1, 1, 1, 1, 1, 1);
        var half = whole with { C = 2 };
        var x = RandomArray(rng, 4 * 6 * 5);
        var colsAll = new float[whole.ColumnsLength];
        Forward(x, whole, colsAll);
        var colsSecond = new float[half.ColumnsLength];
        Im2Col.Forward(x.AsSpan(2 * 30), 2, 6, 5, 3, 3, 1, 1, 1, 1, 1, 1, colsSecond);
        Assert.Equal(colsAll[half.ColumnsLength..], colsSecond);
    }

    [Fact]
    public void Columns_with_a_row_stride_sit_beside_other_images()
    {
        var rng = new Random(8);
        // stride-1 "same" (the shifted-block paths) and strided (the row-by-row paths)
        foreach (var g in new[] { new Geometry(3, 7, 6, 3, 3, 1, 1, 1, 1, 1, 1), new Geometry(2, 9, 8, 3, 2, 2, 1, 1, 0, 1, 2) })
        {
            int plane = g.OutH * g.OutW, rows = g.ColumnsLength / plane, ld = 3 * plane + 5;
            var x = RandomArray(rng, g.C * g.H * g.W);
            var packed = new float[g.ColumnsLength];
            Forward(x, g, packed);
            var wide = RandomArray(rng, (rows - 1) * ld + plane + plane);
            var before = (float[])wide.Clone();
            Im2Col.Forward(x, g.C, g.H, g.W, g.KH, g.KW, g.SH, g.SW, g.PH, g.PW, g.DH, g.DW, wide.AsSpan(plane), ld);
            for (int r = 0; r < rows; r++)
            {
                Assert.Equal(packed.AsSpan(r * plane, plane).ToArray(), wide.AsSpan(plane + r * ld, plane).ToArray());
                if (r < rows - 1) Assert.Equal(before.AsSpan(plane + r * ld + plane, ld - plane).ToArray(), wide.AsSpan(plane + r * ld + plane, ld - plane).ToArray());
            }
            // col2im of the strided columns adds what col2im of the packed ones adds
            var expected = RandomArray(rng, x.Length);
            var actual = (float[])expected.Clone();
            Im2Col.BackwardInPlace(packed, g.C, g.H, g.W, g.KH, g.KW, g.SH, g.SW, g.PH, g.PW, g.DH, g.DW, expected);
            Im2Col.BackwardInPlace(wide.AsSpan(plane), ld, g.C, g.H, g.W, g.KH, g.KW, g.SH, g.SW, g.PH, g.PW, g.DH, g.DW, actual);
            Assert.Equal(expected, actual);
        }
        var e = Assert.Throws<ArgumentException>(() => Im2Col.Forward(new float[4 * 4], 1, 4, 4, 3, 3, 1, 1, 1, 1, 1, 1, new float[200], 15));
        Assert.Equal("Im2Col: the columns' row stride 15 is less than a row (16 = 4·4)", e.Message);
    }

    [Fact]
    public void OutputShape_names_the_op_and_the_bad_values()
    {
        var e = Assert.Throws<ArgumentException>(() => Im2Col.OutputShape("Conv2d", 2, 8, 5, 3, 1, 1, 0, 0, 1, 1));
        Assert.StartsWith("Conv2d:", e.Message);
        Assert.Contains("[-2, 6]", e.Message);
        Assert.Equal((6, 6), Im2Col.OutputShape("Conv2d", 8, 8, 3, 3, 1, 1, 0, 0, 1, 1));

        e = Assert.Throws<ArgumentException>(() => Im2Col.OutputShape("Conv2d", 8, 8, 3, 3, 0, 1, 0, 0, 1, 1));
        Assert.Contains("stride must be >= 1, got [0, 1]", e.Message);
        e = Assert.Throws<ArgumentException>(() => Im2Col.OutputShape("Conv2d", 8, 8, 3, 3, 1, 1, -1, 0, 1, 1));
        Assert.Contains("padding must be >= 0, got [-1, 0]", e.Message);
        e = Assert.Throws<ArgumentException>(() => Im2Col.OutputShape("Conv2d", 8, 8, 3, 3, 1, 1, 0, 0, 1, 0));
        Assert.Contains("dilation must be >= 1, got [1, 0]", e.Message);
        e = Assert.Throws<ArgumentException>(() => Im2Col.OutputShape("Conv2d", 8, 8, 0, 3, 1, 1, 0, 0, 1, 1));
        Assert.Contains("kernel size must be >= 1, got [0, 3]", e.Message);
    }

    [Fact]
    public void Forward_and_backward_reject_short_spans()
    {
        var x = new float[2 * 4 * 4];
        var e = Assert.Throws<ArgumentException>(() =>
            Im2Col.Forward(x, 2, 4, 4, 3, 3, 1, 1, 0, 0, 1, 1, new float[2 * 9 * 4 - 1]));
        Assert.Equal("Im2Col: columns has 71 elements, needs 72", e.Message);
        e = Assert.Throws<ArgumentException>(() =>
            Im2Col.Forward(x.AsSpan(1), 2, 4, 4, 3, 3, 1, 1, 0, 0, 1, 1, new float[72]));
        Assert.Equal("Im2Col: image has 31 elements, needs 32", e.Message);
        e = Assert.Throws<ArgumentException>(() =>
            Im2Col.Backward(new float[72], 2, 4, 4, 3, 3, 1, 1, 0, 0, 1, 1, new float[31]));
        Assert.Equal("Im2Col: imageGrad has 31 elements, needs 32", e.Message);
        e = Assert.Throws<ArgumentException>(() =>
            Im2Col.Forward(x, 2, 4, 4, 5, 5, 1, 1, 0, 0, 1, 1, new float[100]));
        Assert.StartsWith("Im2Col: output size would be [0, 0]", e.Message);
    }
}
