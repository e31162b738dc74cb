using System.Runtime.Intrinsics.X86;
using Occam.Kernels;

namespace Occam.Tests.Kernels;

/// <summary>Winograd's F(2×2, 3×3) convolution (<see cref="Winograd"/>): its AVX2 row splitting and masked output stores
/// give the bits of the portable loops, and its transforms are the algorithm's (a lone tile against a direct sum).
/// Conv2d's results by it against a double-precision reference are in <c>FastPathFuzzTests</c>.</summary>
public class WinogradTests
{
    static float[] Rand(Random r, int n)
    {
        var a = new float[n];
        for (int i = 0; i < n; i++) a[i] = (float)(r.NextDouble() * 2 - 1);
        return a;
    }

    // y = conv(x, w) + bias by Winograd, or y += it with accumulate
    static float[] Convolve(float[] x, int n, int c, int h, int w, int pad, float[] weight, int o, float[]? bias, float[] start, bool accumulate)
    {
        int oh = h + 2 * pad - 2, ow = w + 2 * pad - 2;
        var u = new float[16 * o * c];
        Winograd.TransformWeights(weight, o, c, flipped: false, u);
        var y = (float[])start.Clone();
        Winograd.Convolve(x, n, c, h, w, pad, pad, u, o, oh, ow, bias, accumulate, y);
        return y;
    }

    [Theory]
    [InlineData(2, 8, 14, 14, 1, 16)]  // the CNN's second block: 7 tiles a row, one 8-lane group with a lane to spare
    [InlineData(3, 9, 7, 5, 0, 8)]     // odd sizes: a last tile half outside, rows of 3 tiles
    [InlineData(1, 8, 40, 37, 2, 10)]  // rows of more than 8 tiles; padding 2
    [InlineData(2, 10, 1, 9, 1, 8)]    // a one-row input: tile rows mostly padding
    public void Avx2PathsEqualThePortableLoops(int n, int c, int h, int w, int pad, int o)
    {
        var r = new Random(h * 100 + w);
        var x = Rand(r, n * c * h * w);
        var weight = Rand(r, o * c * 9);
        var bias = Rand(r, o);
        int oh = h + 2 * pad - 2, ow = w + 2 * pad - 2;
        var start = Rand(r, n * o * oh * ow);
        bool saved = Winograd.Avx2Paths;
        try
        {
            foreach (bool accumulate in new[] { false, true })
            {
                Winograd.Avx2Paths = false;
                var portable = Convolve(x, n, c, h, w, pad, weight, o, accumulate ? null : bias, start, accumulate);
                Winograd.Avx2Paths = Avx2.IsSupported;
                var fast = Convolve(x, n, c, h, w, pad, weight, o, accumulate ? null : bias, start, accumulate);
                Assert.Equal(portable, fast);
            }
        }
        finally { Winograd.Avx2Paths = saved; }
    }

    [Fact]
    public void OneTileIsTheDirectSum()
    {
        // a 4 × 4 input without padding is one tile: its 2 × 2 outputs are sums of nine products each
        var r = new Random(3);
        int c = 8, o = 8;
        var x = Rand(r, c * 16);
        var weight = Rand(r, o * c * 9);
        var y = Convolve(x, 1, c, 4, 4, 0, weight, o, null, new float[o * 4], accumulate: false);
        for (int oc = 0; oc < o; oc++)
            for (int i = 0; i < 2; i++)
                for (int j = 0; j < 2; j++)
                {
                    double sum = 0;
                    for (int ci = 0; ci < c; ci++)
                        for (int a = 0; a < 3; a++)
                            for (int b = 0; b < 3; b++)
                                sum += (double)x[ci * 16 + (i + a) * 4 + j + b] * weight[((oc * c + ci) * 3 + a) * 3 + b];
                    Assert.Equal(sum, y[oc * 4 + i * 2 + j], 4);
                }
    }

    [Fact]
    public void ShortBuffersNameTheOpAndTheSizes()
    {
        var e = Assert.Throws<ArgumentException>(() => Winograd.TransformWeights(new float[9 * 4], 2, 3, flipped: false, new float[16 * 6]));
        Assert.Contains("Winograd", e.Message);
        Assert.Contains("54", e.Message);
    }
}
