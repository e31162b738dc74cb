using Occam.NN;
using Occam.Tests.Support;

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

    [Fact]
    public void InstanceNorm1dAnd3dMatchPyTorchInTrainAndEval()
    {
        // nn.InstanceNorm1d(2, affine=True, track_running_stats=True, momentum=0.2), weight [1.5, -0.5], bias [0.25, 1],
        // on x[i] = ((37·i) mod 30 − 15)/5 as [3, 2, 5]: one training step, then evaluation (PyTorch 1.13)
        var x = Tensor.FromArray(Enumerable.Range(0, 30).Select(i => ((i * 37 % 30) - 15) * 0.2f).ToArray(), 3, 2, 5);
        var norm = new InstanceNorm1d(2, affine: true, trackRunningStats: true, momentum: 0.2f);
        norm.Weight!.CopyFrom(Tensor.FromArray([1.5f, -0.5f], 2));
        norm.Bias!.CopyFrom(Tensor.FromArray([0.25f, 1f], 2));
        float[] train = [-1.871318f, -0.810659f, 0.25f, 1.310659f, 2.371318f, 1.46499f, 1.058124f, 0.651258f, 0.244392f, 1.581237f, -0.131f, 1.202499f,
            2.535998f, -1.845498f, -0.511999f, 1.127f, 0.6825f, 0.238001f, 1.698499f, 1.254f, 1.011999f, 2.345498f, -2.035998f, -0.702499f, 0.631f,
            0.418763f, 1.755608f, 1.348742f, 0.941876f, 0.53501f];
        GradCheck.Close(train, norm.Forward(x).ToArray(), 1e-5f, 1e-5f);
        GradCheck.Close([-0.04f, 0f], norm.RunningMean!.ToArray(), 1e-6f, 1e-6f);
        GradCheck.Close([1.54f, 1.5f], norm.RunningVar!.ToArray(), 1e-6f, 1e-6f);
        Assert.Equal(0f, norm.NumBatchesTracked!.Item());
        norm.Eval();
        float[] eval = [-3.327842f, -1.63562f, 0.056603f, 1.748826f, 3.441049f, 1.816494f, 1.244948f, 0.673402f, 0.101857f, 1.979793f, -0.910381f,
            0.781841f, 2.474064f, -3.086096f, -1.393874f, 1f, 0.428454f, -0.143091f, 1.734844f, 1.163299f, 1.50708f, 3.199303f, -2.360858f, -0.668635f,
            1.023588f, 0.183506f, 2.061442f, 1.489896f, 0.918351f, 0.346805f];
        GradCheck.Close(eval, norm.Forward(x).ToArray(), 1e-5f, 1e-5f);
        var first = Tensor.FromArray(x.ToArray()[..10], 2, 5); // unbatched [C, L]
        Assert.Equal([2, 5], norm.Forward(first).Shape);
        GradCheck.Close(eval[..10], norm.Forward(first).ToArray(), 1e-5f, 1e-5f);
        Assert.Equal("InstanceNorm1d: expected 2D or 3D input, got 1D input [4]", Assert.Throws<ArgumentException>(() => norm.Forward(Tensor.Zeros(4))).Message);
        Assert.Contains("Expected more than 1 spatial element when training, got input size [2, 2, 1]",
            Assert.Throws<ArgumentException>(() => new InstanceNorm1d(2).Forward(Tensor.Zeros(2, 2, 1))).Message);
        Assert.Equal("InstanceNorm1d(2, eps=1E-05, momentum=0.2, affine=True, trackRunningStats=True)", norm.ToString());

        // nn.InstanceNorm3d(2) on x[i] = ((37·i) mod 48 − 24)/10 as [1, 2, 2, 3, 4], the same in both modes
        var x3 = Tensor.FromArray(Enumerable.Range(0, 48).Select(i => ((i * 37 % 48) - 24) * 0.1f).ToArray(), 1, 2, 2, 3, 4);
        float[] expected3 = [-1.645661f, 0.94538f, 0.17507f, -0.595239f, -1.365549f, 1.225492f, 0.455183f, -0.315127f, -1.085436f, 1.505605f, 0.735295f,
            -0.035014f, -0.805324f, -1.575633f, 1.015408f, 0.245099f, -0.525211f, -1.295521f, 1.295521f, 0.525211f, -0.245098f, -1.015408f, 1.575633f,
            0.805324f, 0.037276f, -0.782803f, -1.602882f, 1.155566f, 0.335487f, -0.484592f, -1.304671f, 1.453777f, 0.633698f, -0.186382f, -1.006461f,
            1.751987f, 0.931908f, 0.111829f, -0.70825f, -1.528329f, 1.230119f, 0.41004f, -0.41004f, -1.230119f, 1.528329f, 0.70825f, -0.111829f, -0.931908f];
        var norm3 = new InstanceNorm3d(2);
        GradCheck.Close(expected3, norm3.Forward(x3).ToArray(), 1e-5f, 1e-5f);
        norm3.Eval();
        GradCheck.Close(expected3, norm3.Forward(x3).ToArray(), 1e-5f, 1e-5f);
        Assert.Equal([2, 2, 3, 4], norm3.Forward(x3.Squeeze(0)).Shape);
        Assert.Contains("InstanceNorm3d: expected 4D or 5D input", Assert.Throws<ArgumentException>(() => norm3.Forward(Tensor.Zeros(2, 2, 3))).Message);
    }
}
