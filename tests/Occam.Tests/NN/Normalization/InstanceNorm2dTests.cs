using Occam.NN;

namespace Occam.Tests.NN.Normalization;

public class InstanceNorm2dTests
{
    [Fact]
    public void EachSampleChannelIsNormalizedInTrainAndEvalWithoutRunningStats()
    {
        var norm = new InstanceNorm2d(3);
        Assert.Empty(norm.NamedBuffers());
        Assert.Empty(norm.NamedParameters());
        var x = Tensor.RandN([2, 3, 4, 5], new Generator(1), 2f, 3f);
        var train = norm.Forward(x).ToArray();
        for (int block = 0; block < 6; block++)
        {
            var v = train.Skip(block * 20).Take(20).Select(e => (double)e).ToArray();
            Assert.Equal(0, v.Average(), 5);
            Assert.Equal(1, v.Select(e => e * e).Average(), 3);
        }
        norm.Eval();
        Assert.Equal(train, norm.Forward(x).ToArray());
    }

    [Fact]
    public void TrackedRunningStatsMoveInTrainingAndNormalizeInEval()
    {
        var norm = new InstanceNorm2d(2, affine: true, trackRunningStats: true);
        Assert.Equal(["running_mean", "running_var", "num_batches_tracked"], norm.NamedBuffers().Select(b => b.Name));
        var x = Tensor.RandN([3, 2, 4, 4], new Generator(2), 2f, 3f);
        norm.Forward(x);
        Assert.All(norm.RunningMean!.ToArray(), m => Assert.InRange(m, 0.05f, 0.35f)); // 0.1 · ≈2
        norm.Eval();
        var y = norm.Forward(x).ToArray();
        var xs = x.ToArray();
        float rm = norm.RunningMean.ToArray()[0], rv = norm.RunningVar!.ToArray()[0];
        Assert.Equal((xs[0] - rm) / MathF.Sqrt(rv + 1e-5f), y[0], 4);
    }

    [Fact]
    public void AcceptsUnbatchedInputAndValidates()
    {
        var norm = new InstanceNorm2d(3);
        Assert.Equal([3, 4, 5], norm.Forward(Tensor.RandN([3, 4, 5], new Generator(3))).Shape);
        Assert.Equal("InstanceNorm2d: expected 3 channels, got 2", Assert.Throws<ArgumentException>(() => norm.Forward(Tensor.Zeros(1, 2, 4, 4))).Message);
        Assert.Contains("Expected more than 1 spatial element when training, got input size [2, 3, 1, 1]",
            Assert.Throws<ArgumentException>(() => norm.Forward(Tensor.Zeros(2, 3, 1, 1))).Message);
        Assert.Equal("InstanceNorm2d: numFeatures must be positive, got 0", Assert.Throws<ArgumentException>(() => new InstanceNorm2d(0)).Message);
        Assert.Equal("InstanceNorm2d: momentum must be in [0, 1], got 2", Assert.Throws<ArgumentException>(() => new InstanceNorm2d(3, momentum: 2)).Message);
        Assert.Equal("InstanceNorm2d(3, eps=1E-05, momentum=0.1, affine=False, trackRunningStats=False)", norm.ToString());
    }

    [Fact]
    public void AnEmptyBatchGivesAnEmptyOutputAndLeavesTheRunningStatistics()
    {
        // PyTorch 1.13 raises only when each instance has exactly one spatial element; an empty batch gives an empty
        // output (PyTorch then writes NaN into tracked running statistics; Occam leaves them as they were).
        var norm = new InstanceNorm2d(3, trackRunningStats: true);
        Assert.Equal([0, 3, 4, 4], norm.Forward(Tensor.Zeros(0, 3, 4, 4)).Shape);
        Assert.Equal([2, 3, 0, 0], norm.Forward(Tensor.Zeros(2, 3, 0, 0)).Shape);
        Assert.Equal([0f, 0f, 0f], norm.RunningMean!.ToArray());
        Assert.Equal([1f, 1f, 1f], norm.RunningVar!.ToArray());
        Assert.Equal([0, 3, 4, 4], new InstanceNorm2d(3).Forward(Tensor.Zeros(0, 3, 4, 4)).Shape);
        Assert.Contains("Expected more than 1 spatial element", Assert.Throws<ArgumentException>(() => new InstanceNorm2d(3).Forward(Tensor.Zeros(0, 3, 1, 1))).Message);
    }
}
