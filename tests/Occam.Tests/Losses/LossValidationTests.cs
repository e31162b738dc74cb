using Occam.Losses;

namespace Occam.Tests.Losses;

/// <summary>Bad arguments and inputs: each message names the loss and the bad value or shapes.</summary>
public class LossValidationTests
{
    static string Throws(Action action) => Assert.Throws<ArgumentException>(action).Message;

    [Theory]
    [InlineData(-0.1f)]
    [InlineData(1.5f)]
    [InlineData(float.NaN)]
    public void LabelSmoothingOutOfRange(float eps) =>
        Assert.Equal($"CrossEntropyLoss: labelSmoothing must be in [0, 1], got {eps}", Throws(() => new CrossEntropyLoss(eps)));

    [Fact]
    public void TargetOutOfRange()
    {
        var logits = Tensor.Zeros(2, 10);
        Assert.Equal("CrossEntropyLoss: target 12 is out of range for 10 classes",
                     Throws(() => new CrossEntropyLoss().Forward(logits, Tensor.FromArray([3f, 12f], 2))));
        Assert.Equal("CrossEntropyLoss: target -1 is out of range for 10 classes",
                     Throws(() => new CrossEntropyLoss().Forward(logits, Tensor.FromArray([-1f, 0f], 2))));
        Assert.Equal("NLLLoss: target 10 is out of range for 10 classes",
                     Throws(() => new NLLLoss().Forward(logits, Tensor.FromArray([0f, 10f], 2))));
        Assert.Equal("CrossEntropyLoss: target 2.5 is not an integer class index",
                     Throws(() => new CrossEntropyLoss().Forward(logits, Tensor.FromArray([2.5f, 0f], 2))));
        // an ignored target may lie outside [0, C)
        Assert.True(float.IsFinite(new CrossEntropyLoss(ignoreIndex: -100).Forward(logits, Tensor.FromArray([-100f, 1f], 2)).Item()));
        // and, as PyTorch's ignore_index, -100 is ignored by default (null ignores nothing)
        Assert.Equal("CrossEntropyLoss: target -100 is out of range for 10 classes",
                     Throws(() => new CrossEntropyLoss(ignoreIndex: null).Forward(logits, Tensor.FromArray([-100f, 0f], 2))));
    }

    [Fact]
    public void BinaryCrossEntropyWeightMustBroadcast()
    {
        Assert.Equal("BCEWithLogitsLoss: weight of shape [4] does not broadcast to input shape [2, 3]",
                     Throws(() => new BCEWithLogitsLoss(weight: Tensor.Ones(4)).Forward(Tensor.Zeros(2, 3), Tensor.Zeros(2, 3))));
        Assert.Equal("BCELoss: weight of shape [3, 1] does not broadcast to input shape [2, 3]",
                     Throws(() => new BCELoss(weight: Tensor.Ones(3, 1)).Forward(Tensor.Full([2, 3], 0.5f), Tensor.Zeros(2, 3))));
    }

    [Fact]
    public void MinusOneHundredIsIgnoredByDefaultAsInPyTorch()
    {
        // F.cross_entropy(torch.zeros(2, 3), torch.tensor([1, -100])) = log 3 (the mean over the one kept target)
        var logits = Tensor.FromArray([0f, 0, 0, 5, -2, 1], 2, 3);
        Assert.Equal(MathF.Log(3f), new CrossEntropyLoss().Forward(logits, Tensor.FromArray([1f, -100f], 2)).Item(), 6);
        Assert.Equal(MathF.Log(3f), new NLLLoss().Forward(logits.LogSoftmax(1), Tensor.FromArray([1f, -100f], 2)).Item(), 6);
        // the fused path (no ignored target) and the general one agree
        var y = Tensor.FromArray([1f, 0f], 2);
        Assert.Equal(new CrossEntropyLoss(labelSmoothing: 0.1f, ignoreIndex: 7).Forward(logits, y).Item(),
                     new CrossEntropyLoss(labelSmoothing: 0.1f).Forward(logits, y).Item(), 6);
        // probability targets are not compared with the default ignore index
        Assert.True(float.IsFinite(new CrossEntropyLoss().Forward(logits, Tensor.Full([2, 3], 1f / 3)).Item()));
    }

    [Fact]
    public void ShapeMismatchNamesBothShapes()
    {
        var m = Throws(() => new CrossEntropyLoss().Forward(Tensor.Zeros(4, 10), Tensor.Zeros(3)));
        Assert.StartsWith("CrossEntropyLoss: input shape [4, 10] and target shape [3] do not match", m);
        Assert.Contains("[4]", m);
        m = Throws(() => new CrossEntropyLoss().Forward(Tensor.Zeros(2, 3, 4, 5), Tensor.Zeros(2, 3, 4, 4)));
        Assert.Contains("[2, 3, 4, 5]", m);
        Assert.Contains("[2, 4, 5]", m);
        Assert.Equal("MSELoss: input shape [3, 4] and target shape [4, 3] differ", Throws(() => new MSELoss().Forward(Tensor.Zeros(3, 4), Tensor.Zeros(4, 3))));
        Assert.StartsWith("BCEWithLogitsLoss: input shape [3]", Throws(() => new BCEWithLogitsLoss().Forward(Tensor.Zeros(3), Tensor.Zeros(3, 1))));
        Assert.StartsWith("KLDivLoss: input shape", Throws(() => new KLDivLoss().Forward(Tensor.Zeros(3), Tensor.Zeros(2))));
        Assert.Equal("CrossEntropyLoss: input must have a class dim, got shape []", Throws(() => new CrossEntropyLoss().Forward(Tensor.Scalar(1), Tensor.Scalar(0))));
    }

    [Fact]
    public void ClassWeights()
    {
        Assert.Equal("CrossEntropyLoss: weight of shape [5] does not match 10 classes",
                     Throws(() => new CrossEntropyLoss(weight: Tensor.Ones(5)).Forward(Tensor.Zeros(2, 10), Tensor.Zeros(2))));
        Assert.Equal("NLLLoss: weight must be 1-D (one value per class), got shape [2, 5]", Throws(() => new NLLLoss(weight: Tensor.Ones(2, 5))));
        Assert.StartsWith("BCEWithLogitsLoss: posWeight of shape [4] does not broadcast to input shape [2, 3]",
                          Throws(() => new BCEWithLogitsLoss(posWeight: Tensor.Ones(4)).Forward(Tensor.Zeros(2, 3), Tensor.Zeros(2, 3))));
    }

    [Fact]
    public void IgnoreIndexWithProbabilityTargets() =>
        Assert.Equal("CrossEntropyLoss: ignoreIndex 0 is not supported with probability targets (it must be negative there, as PyTorch)",
                     Throws(() => new CrossEntropyLoss(ignoreIndex: 0).Forward(Tensor.Zeros(2, 3), Tensor.Full([2, 3], 1f / 3))));

    [Fact]
    public void Hyperparameters()
    {
        Assert.Equal("HuberLoss: delta must be positive and finite, got 0", Throws(() => new HuberLoss(0)));
        Assert.Equal("SmoothL1Loss: beta must be non-negative and finite, got -1", Throws(() => new SmoothL1Loss(-1)));
        Assert.Equal("BCELoss: input must hold probabilities in [0, 1], got 1.5",
                     Throws(() => new BCELoss().Forward(Tensor.FromArray([0.5f, 1.5f], 2), Tensor.Zeros(2))));
        Assert.Equal("MSELoss: reduction BatchMean is not supported; use Mean, Sum or None", Throws(() => new MSELoss(Reduction.BatchMean)));
        Assert.StartsWith("CrossEntropyLoss: reduction BatchMean", Throws(() => new CrossEntropyLoss(reduction: Reduction.BatchMean)));
        Assert.StartsWith("KLDivLoss: reduction 7", Throws(() => new KLDivLoss((Reduction)7)));
    }
}
