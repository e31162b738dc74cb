using Occam.Losses;
using Occam.Tests.Support;

namespace Occam.Tests.Losses;

/// <summary>Autograd gradients of every loss against central differences, w.r.t. the input and,
/// where the target is differentiable (soft targets, regression), the target.</summary>
public class LossGradCheckTests
{
    static Tensor Indices(float[] values, params int[] shape) => Tensor.FromArray(values, shape);
    static readonly Tensor Weights = Tensor.FromArray([0.5f, 2f, 1f, 0.25f], 4);

    static Tensor Probabilities(int[] shape, ulong seed, int dim = 1)
    {
        using var _ = Autograd.NoGrad();
        return Tensor.RandN(shape, new Generator(seed)).Softmax(dim).Detach();
    }

    [Theory]
    [InlineData(0f, Reduction.Mean)]
    [InlineData(0.1f, Reduction.Mean)]
    [InlineData(0.3f, Reduction.Sum)]
    [InlineData(0.2f, Reduction.None)]
    public void CrossEntropyIndexTargets(float smoothing, Reduction reduction)
    {
        var target = Indices([0, 3, 1, 2, 3], 5);
        var loss = new CrossEntropyLoss(smoothing, reduction, ignoreIndex: 1, weight: Weights);
        GradCheck.Check(x => loss.Forward(x[0], target), Tensor.RandN([5, 4], new Generator(1)));
    }

    [Fact]
    public void CrossEntropyFourDimensional()
    {
        var target = Indices([0, 2, 1, 1, 2, 0, 0, 1, 2, 2, 1, 0], 2, 2, 3);
        var loss = new CrossEntropyLoss(0.1f, weight: Tensor.FromArray([1f, 2f, 0.5f], 3));
        GradCheck.Check(x => loss.Forward(x[0], target), Tensor.RandN([2, 3, 2, 3], new Generator(2)));
    }

    [Theory]
    [InlineData(0f, Reduction.Mean)]
    [InlineData(0.1f, Reduction.None)]
    public void CrossEntropySoftTargets(float smoothing, Reduction reduction)
    {
        var loss = new CrossEntropyLoss(smoothing, reduction, weight: Weights);
        GradCheck.Check(x => loss.Forward(x[0], x[1]), Tensor.RandN([3, 4], new Generator(3)), Probabilities([3, 4], 4));
    }

    [Fact]
    public void NLL()
    {
        var target = Indices([2, 0, 3, 3], 4);
        var loss = new NLLLoss(weight: Weights);
        GradCheck.Check(x => loss.Forward(x[0].LogSoftmax(1), target), Tensor.RandN([4, 4], new Generator(5)));
    }

    [Fact]
    public void BCEWithLogits()
    {
        var loss = new BCEWithLogitsLoss(posWeight: Tensor.FromArray([3f, 0.5f, 1f], 3));
        GradCheck.Check(x => loss.Forward(x[0], x[1]), Tensor.RandN([4, 3], new Generator(6), std: 2), Tensor.RandU([4, 3], new Generator(7)));
    }

    [Fact]
    public void BCE() =>
        GradCheck.Check(x => new BCELoss(Reduction.Sum).Forward(x[0], x[1]),
                        Tensor.RandU([4, 3], new Generator(8), 0.1f, 0.9f), Tensor.RandU([4, 3], new Generator(9)));

    public static TheoryData<string> Regressions() => ["mse", "l1", "huber", "smooth_l1", "smooth_l1_0"];

    [Theory]
    [MemberData(nameof(Regressions))]
    public void Regression(string name)
    {
        ILoss loss = name switch
        {
            "mse" => new MSELoss(),
            "l1" => new L1Loss(Reduction.Sum),
            "huber" => new HuberLoss(0.5f, Reduction.None),
            "smooth_l1" => new SmoothL1Loss(0.5f),
            _ => new SmoothL1Loss(0f, Reduction.Sum),
        };
        var target = Tensor.RandN([3, 4], new Generator(10));
        // differences kept away from the kinks at 0 and ±0.5
        var input = target.Detach() + GradCheck.Away([3, 4], 11, 0.05f, 0f, 0.5f, -0.5f);
        GradCheck.Check(x => loss.Forward(x[0], x[1]), input.Detach(), target);
    }

    [Theory]
    [InlineData(Reduction.BatchMean, false)]
    [InlineData(Reduction.None, false)]
    [InlineData(Reduction.Mean, true)]
    public void KLDiv(Reduction reduction, bool logTarget)
    {
        var loss = new KLDivLoss(reduction, logTarget);
        var target = Probabilities([3, 4], 12);
        if (logTarget) target = target.Log().Detach();
        GradCheck.Check(x => loss.Forward(x[0].LogSoftmax(1), x[1]), Tensor.RandN([3, 4], new Generator(13)), target);
    }
}
