using Occam.Data;
using Occam.Data.Augment;
using Occam.Losses;
using Occam.Regularizers;

namespace Occam.Tests.Losses;

/// <summary>Edge inputs of the losses, regularizers and data helpers: refused with the operation named, or accepted
/// where PyTorch accepts them.</summary>
public class EdgeValidationTests
{
    static void Throws(string message, Action act) => Assert.Contains(message, Assert.Throws<ArgumentException>(act).Message);

    [Fact]
    public void BadEdgesAreNamedAndPyTorchsNegativeIgnoreIndexWorksWithSoftTargets()
    {
        Throws("Regularizers.Get: class_name must be a string, got 5", () => Occam.Regularizers.Regularizers.Get("{\"class_name\": 5}"));
        Throws("MaxNorm: axis [1, 1] names a dimension twice", () => new MaxNorm(2, [1, 1]).Apply(Tensor.FromArray(new float[6], 2, 3)));
        Throws("UnitNorm: axis [0, -2] names a dimension twice", () => new UnitNorm([0, -2]).Apply(Tensor.FromArray(new float[6], 2, 3)));
        var labels = new TensorDataset(Tensor.FromArray(new float[8], 4, 2), Tensor.FromArray([0f, float.PositiveInfinity, 1f, 1f], 4));
        Throws("stratify needs class-index targets, but example 1 has target", () => Splits.TrainValidation(labels, 0.5, new Generator(1)));
        Throws("RandomCrop: Replicate padding needs an image with pixels, got (0, 3)", () =>
            new RandomCrop(1, padding: 1, paddingMode: PaddingMode.Replicate).Apply(Tensor.FromArray([], 1, 0, 3), new Generator(2)));

        Throws("MixUp: the batch has no inputs", () => new MixUp(0.2f, 3).Apply(default, new Generator(3)));
        Throws("CutMix: the batch has no inputs", () => new CutMix(1f, 3).Apply(default, new Generator(3)));

        // soft targets take any negative ignoreIndex (PyTorch only asks ignore_index < 0 there)
        var soft = new CrossEntropyLoss(ignoreIndex: -1).Forward(Tensor.FromArray([1f, 2f], 1, 2), Tensor.FromArray([0.5f, 0.5f], 1, 2));
        Assert.True(float.IsFinite(soft.Item()));
        Throws("ignoreIndex 0 is not supported with probability targets", () =>
            new CrossEntropyLoss(ignoreIndex: 0).Forward(Tensor.FromArray([1f, 2f], 1, 2), Tensor.FromArray([0.5f, 0.5f], 1, 2)));
    }

    [Fact]
    public void BceWithADifferentiableTargetHasPyTorchsGradients()
    {
        // A target that needs a gradient (distillation on probabilities) must not change the input's gradient, and the
        // target's is PyTorch's −w·logit(x), unclamped: ±∞ at x = 0 and 1. torch 1.13:
        // binary_cross_entropy(x, y, weight=w, reduction='sum') with both x and y requiring grad.
        var x = Tensor.FromArray([1e-44f, 0f, 1f, 1 - 1e-7f, 1e-30f, 0.3f], 6);
        var y = Tensor.FromArray([1f, 0.3f, 0.3f, 0f, 1f, 0.6f], 6);
        x.RequiresGrad = y.RequiresGrad = true;
        var loss = new BCELoss(Reduction.Sum, weight: Tensor.FromArray([1f, 1, 1, 2, 1, 3], 6)).Forward(x, y);
        Assert.Equal(303.55746, loss.Item(), 3);
        loss.Backward();
        Occam.Tests.Support.GradCheck.Close([-999999995904f, -300000018432f, 699999977472f, 16777216f, -999999995904f, -4.285714149f],
                                            x.Grad!.ToArray(), 1e-6f, 1e-5f, "input gradient");
        Occam.Tests.Support.GradCheck.Close([101.333023f, float.PositiveInfinity, float.NegativeInfinity, -31.8847694f, 69.0775528f, 2.54189348f],
                                            y.Grad!.ToArray(), 1e-6f, 1e-5f, "target gradient");

        // Mean scales both by 1/6
        x = x.Detach(); y = y.Detach();
        x.RequiresGrad = y.RequiresGrad = true;
        loss = new BCELoss().Forward(x, y);
        Assert.Equal(47.647495, loss.Item(), 4);
        loss.Backward();
        Occam.Tests.Support.GradCheck.Close([-166666665984f, -50000003072f, 116666662912f, 1398101.375f, -166666665984f, -0.238095239f],
                                            x.Grad!.ToArray(), 1e-6f, 1e-5f, "mean input gradient");
        Occam.Tests.Support.GradCheck.Close([16.8888378f, float.PositiveInfinity, float.NegativeInfinity, -2.6570642f, 11.5129251f, 0.141216308f],
                                            y.Grad!.ToArray(), 1e-6f, 1e-5f, "mean target gradient");
    }

    [Fact]
    public void BceGradientStaysFiniteAtTheEdgesAsPyTorchs()
    {
        // torch 1.13: binary_cross_entropy(x, y, weight=w, reduction='sum') and its gradient (x − y)/max(x(1 − x), 1e-12)
        var x = Tensor.FromArray([1e-40f, 0f, 1f, 0f, 1f, 0.3f], 6);
        x.RequiresGrad = true;
        var y = Tensor.FromArray([1f, 1f, 0f, 0f, 1f, 0.6f], 6);
        var loss = new BCELoss(Reduction.Sum, weight: Tensor.FromArray([1f, 1f, 1f, 2f, 3f, 1f], 6)).Forward(x, y);
        Assert.Equal(292.96844, loss.Item(), 3);
        loss.Backward();
        Occam.Tests.Support.GradCheck.Close([-1e12f, -1e12f, 1e12f, 0f, 0f, -1.4285715f], x.Grad!.ToArray(), 1e-6f, 1e-5f, "BCE gradient");
    }
}
