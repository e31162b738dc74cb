using Occam.NN;
using Occam.Tests.Support;

namespace Occam.Tests.NN.Regularization;

/// <summary>DropBlock2d (torchvision.ops.DropBlock2d): square blocks, the drop rate its γ implies, the batch-wide
/// rescaling, its gradient, and the identity in evaluation.</summary>
public class DropBlockTests
{
    /// <summary>Expected fraction dropped: a cell is kept when none of the seed positions whose b×b block covers it fired.</summary>
    static double ExpectedDropped(float p, int b, int h, int w)
    {
        int sh = h - b + 1, sw = w - b + 1;
        double gamma = p * h * w / ((double)b * b * sh * sw), kept = 0;
        for (int r = 0; r < h; r++)
            for (int c = 0; c < w; c++)
            {
                int rows = Math.Min(r, sh - 1) - Math.Max(0, r - b + 1) + 1, cols = Math.Min(c, sw - 1) - Math.Max(0, c - b + 1) + 1;
                kept += Math.Pow(1 - gamma, rows * cols);
            }
        return 1 - kept / (h * w);
    }

    [Fact]
    public void DropsSquareBlocksAtTheRateItsGammaImplies()
    {
        const int n = 64, ch = 8, h = 12, w = 12, b = 3;
        const float p = 0.2f;
        var layer = new DropBlock2d(p, b, generator: new Generator(7));
        var y = layer.Forward(Tensor.Ones(n, ch, h, w)).ToArray();
        int planes = n * ch, dropped = y.Count(v => v == 0);
        // every zero belongs to a whole b×b square of zeros
        for (int plane = 0; plane < planes; plane++)
            for (int r = 0; r < h; r++)
                for (int c = 0; c < w; c++)
                {
                    if (y[plane * h * w + r * w + c] != 0) continue;
                    bool inSquare = false;
                    for (int r0 = Math.Max(0, r - b + 1); r0 <= Math.Min(r, h - b) && !inSquare; r0++)
                        for (int c0 = Math.Max(0, c - b + 1); c0 <= Math.Min(c, w - b) && !inSquare; c0++)
                        {
                            bool all = true;
                            for (int i = 0; i < b && all; i++)
                                for (int j = 0; j < b && all; j++) all = y[plane * h * w + (r0 + i) * w + c0 + j] == 0;
                            inSquare = all;
                        }
                    Assert.True(inSquare, $"plane {plane}: the zero at ({r}, {c}) is not inside a {b}×{b} block of zeros");
                }
        double expected = ExpectedDropped(p, b, h, w), fraction = (double)dropped / y.Length;
        // blocks make neighbouring cells dependent: bound the spread by the number of independent seeds, not cells
        double sd = Math.Sqrt(expected * (1 - expected) / (planes * (h - b + 1) * (w - b + 1) / (double)(b * b)));
        Assert.InRange(fraction, expected - 5 * sd, expected + 5 * sd);
        // the kept cells carry numel / kept, so the mean is preserved exactly
        float kept = y.First(v => v != 0);
        Assert.Equal(y.Length / (double)(y.Length - dropped), kept, 4);
        Assert.Equal(1.0, y.Average(v => (double)v), 5);
    }

    [Fact]
    public void GradientIsTheMaskAndTheSameSeedGivesTheSameBlocks()
    {
        var x = new Parameter(Tensor.RandN([2, 3, 9, 7], new Generator(1)));
        var y = new DropBlock2d(0.3f, 3, generator: new Generator(11)).Forward(x);
        var values = y.ToArray();
        y.Sum().Backward();
        var again = new DropBlock2d(0.3f, 3, generator: new Generator(11)).Forward(Tensor.Ones(2, 3, 9, 7)).ToArray();
        Assert.Equal(again, x.Grad!.ToArray());
        GradCheck.Close(x.ToArray().Zip(again, (a, m) => a * m).ToArray(), values);
    }

    [Fact]
    public void IdentityInEvaluationAndAtP0AllZeroAtP1()
    {
        var x = Tensor.RandN([2, 2, 5, 5], new Generator(3));
        var layer = new DropBlock2d(0.5f, 3, generator: new Generator(1));
        layer.Eval();
        Assert.Same(x, layer.Forward(x));
        Assert.Same(x, new DropBlock2d(0f, 3).Forward(x));
        Assert.All(new DropBlock2d(1f, 1, generator: new Generator(1)).Forward(x).ToArray(), v => Assert.Equal(0f, v));
    }

    [Fact]
    public void UnbatchedInputAndBlocksLargerThanTheMap()
    {
        var y = new DropBlock2d(0.9f, 10, generator: new Generator(2)).Forward(Tensor.Ones(6, 4, 3)).ToArray();
        // b = min(10, 4, 3) = 3: each 4×3 plane loses whole 3×3 blocks (rows 0–2 or 1–3) or nothing
        for (int plane = 0; plane < 6; plane++)
        {
            var cells = y[(plane * 12)..(plane * 12 + 12)];
            int zeros = cells.Count(v => v == 0);
            Assert.True(zeros is 0 or 9 or 12, $"plane {plane}: {zeros} zeros");
        }
    }

    [Fact]
    public void BadSettingsAndInputsAreRefused()
    {
        Assert.StartsWith("DropBlock2d: p must be in [0, 1], got 1.5", Assert.Throws<ArgumentException>(() => new DropBlock2d(1.5f, 3)).Message);
        Assert.StartsWith("DropBlock2d: blockSize must be at least 1, got 0", Assert.Throws<ArgumentException>(() => new DropBlock2d(0.1f, 0)).Message);
        Assert.StartsWith("DropBlock2d: eps must be", Assert.Throws<ArgumentException>(() => new DropBlock2d(0.1f, 3, eps: float.NaN)).Message);
        Assert.StartsWith("DropBlock2d: expected a 3-D", Assert.Throws<ArgumentException>(() => new DropBlock2d(0.1f, 3).Forward(Tensor.Ones(4, 4))).Message);
        Assert.Equal("DropBlock2d(p=0.1, block_size=3)", new DropBlock2d(0.1f, 3).ToString());
    }
}
