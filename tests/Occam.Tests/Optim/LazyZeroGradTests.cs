using Occam.NN;
using Occam.Optim;

namespace Occam.Tests.Optim;

/// <summary><see cref="Optimizer.ZeroGrad"/> zeros lazily: gradients read as zeros, the next backward overwrites
/// where it can (a linear layer's weight and bias) and adds everywhere else, and a weight used twice gets both terms.</summary>
public class LazyZeroGradTests
{
    static float[] Gradient(Tensor p) => p.Grad!.Span.ToArray();

    static Tensor Squares(Tensor y) => (y * y).Sum();

    [Fact]
    public void GradientsReadAsZerosAfterZeroGrad()
    {
        var layer = new Linear(5, 3, generator: new Generator(1));
        var optimizer = new SGD(layer.Parameters(), lr: 0.1);
        layer.Forward(Tensor.RandN([4, 5], new Generator(2))).Sum().Backward();
        Assert.Contains(Gradient(layer.Weight), v => v != 0);
        optimizer.ZeroGrad();
        Assert.All(Gradient(layer.Weight), v => Assert.Equal(0f, v));
        Assert.All(Gradient(layer.Bias!), v => Assert.Equal(0f, v));
    }

    [Fact]
    public void TheNextBackwardGivesTheFreshGradientNotTheSumWithTheOldOne()
    {
        var layer = new Linear(7, 4, generator: new Generator(3));
        var optimizer = new SGD(layer.Parameters(), lr: 0.1);
        var x = Tensor.RandN([6, 7], new Generator(4));
        Squares(layer.Forward(x)).Backward();
        var (w1, b1) = (Gradient(layer.Weight), Gradient(layer.Bias!));
        optimizer.ZeroGrad();
        Squares(layer.Forward(x)).Backward();
        Assert.Equal(w1, Gradient(layer.Weight));
        Assert.Equal(b1, Gradient(layer.Bias!));
        // without ZeroGrad the next backward adds
        Squares(layer.Forward(x)).Backward();
        Assert.Equal(w1.Select(v => 2 * v), Gradient(layer.Weight));
    }

    [Fact]
    public void AWeightUsedTwiceGetsBothContributions()
    {
        var w = Tensor.RandN([3, 3], new Generator(5));
        w.RequiresGrad = true;
        var x = Tensor.RandN([2, 3], new Generator(6));
        Functional.Linear(Functional.Linear(x, w), w).Sum().Backward();
        var once = Gradient(w);
        w.ZeroGradLazily();
        Functional.Linear(Functional.Linear(x, w), w).Sum().Backward();
        Assert.Equal(once, Gradient(w));
    }

    [Theory]
    [InlineData(false, 2.7243f)]
    [InlineData(true, 2.87f)]
    public void AParameterTheNextBackwardMissesStepsOnlyWithoutSetToNone(bool setToNone, float expected)
    {
        // torch 1.13: SGD([w, u], lr=0.1, momentum=0.9, weight_decay=0.1); (w.sum() + u.sum()).backward(); step;
        // zero_grad(set_to_none); (w * w).sum().backward(); step: u = 2.7243 (decay and momentum on a zero gradient),
        // or 2.87 with set_to_none (u skipped); w = [0.6041, 1.3772] either way.
        var w = new Parameter(Tensor.FromArray([1f, 2f], 2));
        var u = new Parameter(Tensor.FromArray([3f], 1));
        var sgd = new SGD([w, u], lr: 0.1, momentum: 0.9, weightDecay: 0.1);
        (w.Sum() + u.Sum()).Backward();
        sgd.Step();
        sgd.ZeroGrad(setToNone);
        (w * w).Sum().Backward();
        sgd.Step();
        Assert.Equal(expected, u.ToArray()[0], 5);
        Assert.Equal([0.6041f, 1.3772f], w.ToArray(), (x, y) => Math.Abs(x - y) < 1e-5);
        Assert.Equal(setToNone, u.Grad == null);
    }
}
