using Occam.NN;
using Occam.Tests.Support;

namespace Occam.Tests.NN.Normalization;

public class LayerNormTests
{
    [Fact]
    public void EachRowHasZeroMeanUnitVarianceInTrainAndEval()
    {
        var ln = new LayerNorm([6]);
        var x = Tensor.RandN([5, 6], new Generator(1), 3f, 2f);
        var train = ln.Forward(x).ToArray();
        for (int r = 0; r < 5; r++)
        {
            var row = train.Skip(r * 6).Take(6).Select(v => (double)v).ToArray();
            Assert.Equal(0, row.Average(), 5);
            Assert.Equal(1, row.Select(v => v * v).Average(), 3);
        }
        ln.Eval();
        Assert.Equal(train, ln.Forward(x).ToArray());
    }

    [Fact]
    public void ParametersAndOptions()
    {
        Assert.Equal(["weight", "bias"], new LayerNorm([3, 4]).NamedParameters().Select(p => p.Name));
        Assert.Equal([3, 4], new LayerNorm([3, 4]).Weight!.Shape);
        Assert.Equal(["weight"], new LayerNorm(8, bias: false).NamedParameters().Select(p => p.Name));
        Assert.Empty(new LayerNorm(8, elementwiseAffine: false).NamedParameters());
        Assert.Empty(new LayerNorm(8).NamedBuffers());
        Assert.Equal("LayerNorm([8], eps=1E-05, elementwiseAffine=True, bias=True)", new LayerNorm(8).ToString());
    }

    [Fact]
    public void ValidatesArgumentsAndInput()
    {
        Assert.Contains("LayerNorm: normalizedShape must be non-empty with positive dims, got [0]", Assert.Throws<ArgumentException>(() => new LayerNorm(0)).Message);
        Assert.Contains("LayerNorm: eps must be a non-negative finite number, got -1", Assert.Throws<ArgumentException>(() => new LayerNorm(3, eps: -1)).Message);
        Assert.Contains("LayerNorm: input of shape [2, 5] does not end with normalized_shape [4]",
            Assert.Throws<ArgumentException>(() => new LayerNorm(4).Forward(Tensor.Zeros(2, 5))).Message);
    }
}
