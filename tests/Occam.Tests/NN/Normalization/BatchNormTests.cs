using Occam.NN;
using Occam.Tests.Support;

namespace Occam.Tests.NN.Normalization;

public class BatchNormTests
{
    static Tensor Input(int[] shape, ulong seed) => Tensor.RandN(shape, new Generator(seed), mean: 0.5f, std: 2f);

    static (float[] Mean, float[] Var) Moments(Tensor x)
    {
        int n = x.Dim(0), c = x.Dim(1), inner = x.Size / (n * c);
        var data = x.ToArray();
        var mean = new float[c];
        var variance = new float[c];
        for (int k = 0; k < c; k++)
        {
            var v = Enumerable.Range(0, n).SelectMany(s => Enumerable.Range(0, inner).Select(i => (double)data[(s * c + k) * inner + i])).ToArray();
            double m = v.Average();
            mean[k] = (float)m;
            variance[k] = (float)v.Select(e => (e - m) * (e - m)).Average();
        }
        return (mean, variance);
    }

    [Fact]
    public void TrainingNormalizesEachChannelToZeroMeanUnitVariance()
    {
        var bn = new BatchNorm2d(3);
        var y = bn.Forward(Input([4, 3, 5, 6], 1));
        var (mean, variance) = Moments(y);
        Assert.All(mean, m => Assert.Equal(0, m, 5));
        Assert.All(variance, v => Assert.Equal(1, v, 3));
    }

    [Fact]
    public void TrainingUpdatesRunningStatisticsWithMomentumAndUnbiasedVariance()
    {
        var bn = new BatchNorm1d(4, momentum: 0.25f);
        var x = Input([6, 4, 3], 2);
        bn.Forward(x);
        var (mean, variance) = Moments(x);
        int count = 6 * 3;
        GradCheck.Close(mean.Select(m => 0.25f * m).ToArray(), bn.RunningMean!.ToArray(), 1e-5f);
        GradCheck.Close(variance.Select(v => 0.75f + 0.25f * v * count / (count - 1)).ToArray(), bn.RunningVar!.ToArray(), 1e-5f);
        Assert.Equal(1f, bn.NumBatchesTracked!.Item());
    }

    [Fact]
    public void EvalUsesRunningStatisticsAndDoesNotUpdateThem()
    {
        var bn = new BatchNorm2d(2);
        bn.RunningMean!.CopyFrom(Tensor.FromArray([1f, -2f], 2));
        bn.RunningVar!.CopyFrom(Tensor.FromArray([4f, 0.25f], 2));
        bn.Weight!.CopyFrom(Tensor.FromArray([2f, 1f], 2));
        bn.Bias!.CopyFrom(Tensor.FromArray([0.5f, 0f], 2));
        bn.Eval();
        var x = Input([3, 2, 2, 2], 3);
        var y = bn.Forward(x).ToArray();
        var xs = x.ToArray();
        for (int i = 0; i < xs.Length; i++)
        {
            int c = i / 4 % 2;
            float expected = c == 0 ? (xs[i] - 1f) / MathF.Sqrt(4f + 1e-5f) * 2f + 0.5f : (xs[i] + 2f) / MathF.Sqrt(0.25f + 1e-5f);
            Assert.Equal(expected, y[i], 4);
        }
        Assert.Equal([1f, -2f], bn.RunningMean.ToArray());
        Assert.Equal(0f, bn.NumBatchesTracked!.Item());
    }

    [Fact]
    public void MomentumNullIsTheCumulativeAverage()
    {
        var bn = new BatchNorm1d(3, momentum: null);
        var batches = Enumerable.Range(0, 4).Select(i => Input([5, 3], 10 + (ulong)i)).ToArray();
        foreach (var b in batches) bn.Forward(b);
        var means = batches.Select(b => Moments(b).Mean).ToArray();
        var vars = batches.Select(b => Moments(b).Var.Select(v => v * 5f / 4f).ToArray()).ToArray();
        GradCheck.Close(Enumerable.Range(0, 3).Select(k => means.Average(m => m[k])).ToArray(), bn.RunningMean!.ToArray(), 1e-5f);
        GradCheck.Close(Enumerable.Range(0, 3).Select(k => vars.Average(v => v[k])).ToArray(), bn.RunningVar!.ToArray(), 1e-5f);
        Assert.Equal(4f, bn.NumBatchesTracked!.Item());
    }

    [Fact]
    public void OneValuePerChannelInTrainingThrowsPyTorchsMessage()
    {
        var e = Assert.Throws<ArgumentException>(() => new BatchNorm2d(4).Forward(Tensor.Zeros(1, 4, 1, 1)));
        Assert.Equal("BatchNorm2d: Expected more than 1 value per channel when training, got input size [1, 4, 1, 1]", e.Message);
        var bn = new BatchNorm2d(4);
        bn.Eval();
        Assert.Equal([1, 4, 1, 1], bn.Forward(Tensor.Zeros(1, 4, 1, 1)).Shape); // fine with running statistics
    }

    [Fact]
    public void AnEmptyBatchInTrainingGivesAnEmptyOutputAndLeavesTheStatistics()
    {
        // PyTorch 1.13 raises only for exactly one value per channel; an empty batch gives an empty output, the
        // running statistics as they were and the count one higher.
        foreach (var (bn, shape) in new (BatchNormBase, int[])[] { (new BatchNorm1d(3), [0, 3]), (new BatchNorm1d(3, momentum: null), [0, 3, 4]),
                     (new BatchNorm2d(3), [0, 3, 2, 2]), (new BatchNorm2d(3), [2, 3, 0, 5]), (new BatchNorm2d(3, trackRunningStats: false), [0, 3, 2, 2]) })
        {
            var y = bn.Forward(Tensor.Zeros(shape));
            Assert.Equal(shape, y.Shape);
            if (bn.TrackRunningStats)
            {
                Assert.Equal([0f, 0f, 0f], bn.RunningMean!.ToArray());
                Assert.Equal([1f, 1f, 1f], bn.RunningVar!.ToArray());
                Assert.Equal(1f, bn.NumBatchesTracked!.Item());
            }
        }
        // The same through Sequential's fused batch norm + ReLU (+ dropout, + 2×2 max pool).
        var dropped = new Sequential(new BatchNorm1d(3), new ReLU(), new Dropout(0.5f));
        Assert.Equal([0, 3], dropped.Forward(Tensor.Zeros(0, 3)).Shape);
        var pooled = new Sequential(new BatchNorm2d(3), new ReLU(), new MaxPool2d(2));
        Assert.Equal([0, 3, 2, 2], pooled.Forward(Tensor.Zeros(0, 3, 4, 5)).Shape);
        Assert.Equal([0f, 0f, 0f], ((BatchNorm2d)pooled[0]).RunningMean!.ToArray());
    }

    [Fact]
    public void WrongChannelsOrRankThrow()
    {
        var e = Assert.Throws<ArgumentException>(() => new BatchNorm2d(32).Forward(Tensor.Zeros(2, 16, 3, 3)));
        Assert.Equal("BatchNorm2d: expected 32 channels, got 16", e.Message);
        Assert.Contains("expected 4D input, got 3D", Assert.Throws<ArgumentException>(() => new BatchNorm2d(3).Forward(Tensor.Zeros(2, 3, 4))).Message);
        Assert.Contains("expected 2D or 3D input", Assert.Throws<ArgumentException>(() => new BatchNorm1d(3).Forward(Tensor.Zeros(2, 3, 4, 4))).Message);
        Assert.Contains("expected 5D input", Assert.Throws<ArgumentException>(() => new BatchNorm3d(3).Forward(Tensor.Zeros(2, 3, 4, 4))).Message);
    }

    [Fact]
    public void ConstructorValidatesArguments()
    {
        Assert.Equal("BatchNorm2d: numFeatures must be positive, got 0", Assert.Throws<ArgumentException>(() => new BatchNorm2d(0)).Message);
        Assert.Contains("BatchNorm1d: eps must be a non-negative finite number, got -1", Assert.Throws<ArgumentException>(() => new BatchNorm1d(3, eps: -1f)).Message);
        Assert.Contains("BatchNorm3d: momentum must be in [0, 1] or null, got 1.5", Assert.Throws<ArgumentException>(() => new BatchNorm3d(3, momentum: 1.5f)).Message);
    }

    [Fact]
    public void StateDictNamesMatchPyTorch()
    {
        var model = new Sequential(new Linear(4, 3), new BatchNorm1d(3));
        Assert.Equal(["1.running_mean", "1.running_var", "1.num_batches_tracked"], model.NamedBuffers().Select(b => b.Name));
        Assert.Equal(["0.weight", "0.bias", "1.weight", "1.bias"], model.NamedParameters().Select(p => p.Name));
        var bn = new BatchNorm2d(5);
        Assert.Equal([], bn.NamedBuffers().Single(b => b.Name == "num_batches_tracked").Buffer.Shape);
        Assert.Equal(Enumerable.Repeat(1f, 5), bn.Weight!.ToArray());
        Assert.Equal(Enumerable.Repeat(0f, 5), bn.Bias!.ToArray());
        Assert.Equal(Enumerable.Repeat(1f, 5), bn.RunningVar!.ToArray());
    }

    [Fact]
    public void LoadingAStateDictWithoutNumBatchesTrackedCountsFromZeroAsPyTorch()
    {
        // PyTorch 1.13's _NormBase._load_from_state_dict: a plain dict (as safetensors.torch.load_file gives, or one
        // written by another tool) that lacks num_batches_tracked loads strictly, the count set to 0.
        var source = new Sequential(new Linear(2, 3), new BatchNorm1d(3), new InstanceNorm2d(3, trackRunningStats: true));
        var state = source.StateDict().Where(kv => !kv.Key.EndsWith("num_batches_tracked", StringComparison.Ordinal)).ToDictionary();
        state["1.running_mean"] = Tensor.FromArray([1f, 2f, 3f], 3);
        var model = new Sequential(new Linear(2, 3), new BatchNorm1d(3), new InstanceNorm2d(3, trackRunningStats: true));
        var bn = (BatchNorm1d)model[1];
        bn.NumBatchesTracked!.Span[0] = 5;
        var (missing, unexpected) = model.LoadStateDict(state);
        Assert.Empty(missing);
        Assert.Empty(unexpected);
        Assert.Equal(0f, bn.NumBatchesTracked.Item());
        Assert.Equal([1f, 2f, 3f], bn.RunningMean!.ToArray());
        // Only that count is made up: any other missing key still fails a strict load.
        state.Remove("1.running_var");
        var e = Assert.Throws<ArgumentException>(() => model.LoadStateDict(state));
        Assert.Contains("missing keys [1.running_var]", e.Message);
        // Not strict, a missing count is left as it is and reported (AveragedModel.CopyTo loads the parameters alone).
        state["1.running_var"] = Tensor.Ones(3);
        bn.NumBatchesTracked.Span[0] = 7;
        var parametersOnly = state.Where(kv => kv.Key.EndsWith("weight", StringComparison.Ordinal) || kv.Key.EndsWith("bias", StringComparison.Ordinal)).ToDictionary();
        Assert.Contains("1.num_batches_tracked", model.LoadStateDict(parametersOnly, strict: false).Missing);
        Assert.Equal(7f, bn.NumBatchesTracked.Item());
        // Without running statistics there is no count to fill in.
        var untracked = new BatchNorm1d(3, trackRunningStats: false);
        Assert.Empty(untracked.LoadStateDict(untracked.StateDict()).Missing);
    }

    [Fact]
    public void WithoutTrackingThereAreNoBuffersAndEvalUsesBatchStatistics()
    {
        var bn = new BatchNorm2d(3, affine: false, trackRunningStats: false);
        Assert.Empty(bn.NamedBuffers());
        Assert.Empty(bn.NamedParameters());
        var x = Input([4, 3, 2, 2], 5);
        var train = bn.Forward(x).ToArray();
        bn.Eval();
        Assert.Equal(train, bn.Forward(x).ToArray());
    }

    [Fact]
    public void TrainAndEvalDifferOnceStatisticsMoved()
    {
        var bn = new BatchNorm2d(3);
        var x = Input([4, 3, 2, 2], 6);
        var train = bn.Forward(x).ToArray();
        bn.Eval();
        Assert.NotEqual(train, bn.Forward(x).ToArray());
        bn.Train();
        Assert.Equal(train, bn.Forward(x).ToArray());
        bn.ResetRunningStats();
        Assert.Equal(0f, bn.NumBatchesTracked!.Item());
    }

    [Fact]
    public void DescribeShowsTheConfiguration()
    {
        Assert.Equal("BatchNorm2d(32, eps=1E-05, momentum=0.1, affine=True, trackRunningStats=True)", new BatchNorm2d(32).ToString());
        Assert.Contains("momentum=None", new BatchNorm1d(8, momentum: null).ToString());
    }

    [Fact]
    public void LargeBatchStatisticsStayAccurate()
    {
        // 2^20 values per channel around an offset of 1000: float accumulation would lose the variance.
        var x = Tensor.RandN([64, 2, 128, 128], new Generator(9), mean: 1000f, std: 1f);
        var bn = new BatchNorm2d(2);
        var (mean, variance) = Moments(x);
        var y = bn.Forward(x);
        GradCheck.Close(mean.Select(m => 0.1f * m).ToArray(), bn.RunningMean!.ToArray(), 1e-4f, 1e-5f);
        GradCheck.Close(variance.Select(v => 0.9f + 0.1f * v).ToArray(), bn.RunningVar!.ToArray(), 1e-4f, 1e-4f);
        var (ym, yv) = Moments(y);
        Assert.All(ym, m => Assert.Equal(0, m, 3));
        Assert.All(yv, v => Assert.Equal(1, v, 3));
    }
}
