using Occam.NN;
using Occam.Optim;

namespace Occam.Tests.NN;

public class FreezeTests
{
    [Fact]
    public void FrozenParametersGetNoGradientNoUpdateAndNoDecay()
    {
        var backbone = new Linear(3, 3, generator: new Generator(1));
        var head = new Linear(3, 2, generator: new Generator(2));
        var model = new Sequential(backbone, new ReLU(), head);
        backbone.Freeze();
        Assert.All(backbone.Parameters(), p => Assert.False(p.RequiresGrad));
        Assert.Equal(8, model.ParameterCount(trainableOnly: true));
        var before = backbone.Weight.ToArray();
        var opt = new AdamW(model.Parameters(), lr: 0.1, weightDecay: 0.5);
        for (int i = 0; i < 3; i++)
        {
            opt.ZeroGrad();
            model.Forward(Tensor.RandN([4, 3], new Generator(3))).Sum().Backward();
            opt.Step();
        }
        Assert.Null(backbone.Weight.Grad);
        Assert.Equal(before, backbone.Weight.ToArray()); // not even decayed
        Assert.NotNull(head.Weight.Grad);
        var audit = DecayAudit.Of(opt, model);
        Assert.All(audit.Rows.Where(r => r.Name.StartsWith("0.", StringComparison.Ordinal)), r => { Assert.False(r.Trainable); Assert.Equal(0, r.Decay); });

        backbone.Unfreeze();
        model.Forward(Tensor.RandN([4, 3], new Generator(4))).Sum().Backward();
        Assert.NotNull(backbone.Weight.Grad);
    }
}
