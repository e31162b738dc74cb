using Occam.NN;
using Occam.Optim;
using Occam.Tests.Support;

namespace Occam.Tests.Regularizers;

public class L2SPTests
{
    [Fact]
    public void PenaltyAndGradientVanishAtTheReference()
    {
        var w0 = Tensor.FromArray([1f, -2f, 0.5f], 3);
        var reg = new Occam.Regularizers.L2SP(0.1, w0);
        var w = new Parameter(w0);
        var penalty = reg.Penalty(w);
        Assert.Equal(0f, penalty.Item());
        penalty.Backward();
        Assert.All(w.Grad!.ToArray(), g => Assert.Equal(0f, g));

        var moved = Tensor.FromArray([2f, -2f, 0f], 3);
        Assert.Equal(0.1f * (1f + 0.25f), reg.Penalty(moved).Item(), 6);
        GradCheck.Check(t => reg.Penalty(t[0]), Tensor.FromArray([1.5f, -1f, 0.25f], 3));
        Assert.Throws<ArgumentException>(() => new Occam.Regularizers.L2SP(-1, w0));
        Assert.Throws<ArgumentException>(() => reg.Penalty(Tensor.Zeros(2)));
    }

    [Fact]
    public void AttachSnapshotsEachParameterAndPullsTowardIt()
    {
        var model = new Sequential(("backbone", new Linear(4, 4, generator: new Generator(1))), ("head", new Linear(4, 2, generator: new Generator(2))));
        int attached = Occam.Regularizers.L2SP.Attach(model, 0.5, "backbone.");
        Assert.Equal(2, attached);
        Assert.Null(((Linear)model[1]).Weight.Regularizer);
        Assert.Equal(0f, Occam.Regularizers.Regularization.Penalty(model).Item());
        var backbone = (Linear)model[0];
        var start = backbone.Weight.ToArray();
        backbone.Weight.CopyFrom(backbone.Weight * 2f);
        // SGD on the penalty alone moves the weights back toward w0.
        var opt = new SGD(model.Parameters(), lr: 0.5);
        for (int i = 0; i < 20; i++)
        {
            opt.ZeroGrad();
            Occam.Regularizers.Regularization.Penalty(model).Backward();
            opt.Step();
        }
        GradCheck.Close(start, backbone.Weight.ToArray(), 1e-4f, 1e-3f);
    }
}
