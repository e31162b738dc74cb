using Occam.Losses;
using Occam.NN;
using Occam.Optim;

namespace Occam.Tests.Optim;

/// <summary>A seeded toy MLP trained end to end: the loss falls, and the final loss is pinned so any change
/// to the engine's numerics shows up here.</summary>
public class ToyTrainingTests
{
    static float Train(Func<IEnumerable<Parameter>, Optimizer> makeOptimizer, int steps = 60)
    {
        var g = new Generator(2024);
        var x = Tensor.RandN([64, 10], g);
        var labels = x.MatMul(Tensor.RandN([10, 3], g)).Argmax(1);
        var model = new Sequential(new Linear(10, 32, generator: g), new ReLU(), new Linear(32, 3, generator: g));
        var optimizer = makeOptimizer(model.Parameters());
        var lossFn = new CrossEntropyLoss(labelSmoothing: 0.1f);
        float first = 0, last = 0;
        for (int step = 0; step < steps; step++)
        {
            optimizer.ZeroGrad();
            var loss = lossFn.Forward(model.Forward(x), labels);
            last = loss.Item();
            if (step == 0) first = last;
            loss.Backward();
            optimizer.Step();
        }
        Assert.True(last < first * 0.6f, $"loss fell only from {first} to {last}");
        return last;
    }

    [Fact]
    public void AdamWTrainsToThePinnedLoss() => Assert.Equal(0.3349f, Train(p => new AdamW(p, lr: 1e-2)), 3);

    [Fact]
    public void SgdMomentumTrainsToThePinnedLoss() => Assert.Equal(0.3466f, Train(p => new SGD(p, lr: 0.1, momentum: 0.9, weightDecay: 1e-4)), 3);
}
