using Occam.NN;

namespace Occam.Tests.NN.Normalization;

public class GroupNormTests
{
    [Fact]
    public void EachSampleGroupIsNormalizedInTrainAndEval()
    {
        var gn = new GroupNorm(2, 4);
        var x = Tensor.RandN([3, 4, 2, 3], new Generator(1), 1f, 2f);
        var train = gn.Forward(x).ToArray();
        for (int block = 0; block < 6; block++) // (sample, group) blocks of 2·6 contiguous elements
        {
            var v = train.Skip(block * 12).Take(12).Select(e => (double)e).ToArray();
            Assert.Equal(0, v.Average(), 5);
            Assert.Equal(1, v.Select(e => e * e).Average(), 3);
        }
        gn.Eval();
        Assert.Equal(train, gn.Forward(x).ToArray());
    }

    [Fact]
    public void ValidatesArgumentsAndInput()
    {
        Assert.Equal("GroupNorm: numChannels must be divisible by numGroups, got numChannels = 6, numGroups = 4",
            Assert.Throws<ArgumentException>(() => new GroupNorm(4, 6)).Message);
        Assert.Equal("GroupNorm: numGroups must be positive, got 0", Assert.Throws<ArgumentException>(() => new GroupNorm(0, 6)).Message);
        Assert.Equal("GroupNorm: expected 6 channels, got 4", Assert.Throws<ArgumentException>(() => new GroupNorm(3, 6).Forward(Tensor.Zeros(2, 4, 3))).Message);
        Assert.Equal(["weight", "bias"], new GroupNorm(2, 4).NamedParameters().Select(p => p.Name));
        Assert.Empty(new GroupNorm(2, 4, affine: false).NamedParameters());
        Assert.Empty(new GroupNorm(2, 4).NamedBuffers());
        Assert.Equal("GroupNorm(2, 4, eps=1E-05, affine=True)", new GroupNorm(2, 4).ToString());
    }
}
