using Occam.NN;
using Occam.Tests.Support;

namespace Occam.Tests.NN.Normalization;

public class RMSNormTests
{
    [Fact]
    public void EachRowHasUnitRootMeanSquareInTrainAndEval()
    {
        var rms = new RMSNorm([7]);
        var x = Tensor.RandN([4, 7], new Generator(1), 2f, 3f);
        var train = rms.Forward(x).ToArray();
        var xs = x.ToArray();
        for (int r = 0; r < 4; r++)
        {
            double ms = xs.Skip(r * 7).Take(7).Average(v => (double)v * v);
            for (int j = 0; j < 7; j++) Assert.Equal(xs[r * 7 + j] / Math.Sqrt(ms + 1.1920929e-07), train[r * 7 + j], 4);
        }
        rms.Eval();
        Assert.Equal(train, rms.Forward(x).ToArray());
    }

    [Fact]
    public void DefaultsAndValidation()
    {
        Assert.Equal(RMSNorm.DefaultEps, MathF.BitIncrement(1f) - 1f);
        Assert.Equal(["weight"], new RMSNorm(5).NamedParameters().Select(p => p.Name));
        Assert.Empty(new RMSNorm(5, elementwiseAffine: false).NamedParameters());
        Assert.Equal("RMSNorm([5], eps=None, elementwiseAffine=True)", new RMSNorm(5).ToString());
        Assert.Contains("RMSNorm: eps must be a non-negative finite number or null, got -1", Assert.Throws<ArgumentException>(() => new RMSNorm(5, eps: -1)).Message);
        Assert.Contains("RMSNorm: normalizedShape must be non-empty", Assert.Throws<ArgumentException>(() => new RMSNorm(Array.Empty<int>())).Message);
    }
}
