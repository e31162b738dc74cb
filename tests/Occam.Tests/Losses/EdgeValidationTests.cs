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
