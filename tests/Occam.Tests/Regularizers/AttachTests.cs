using Occam.NN;

namespace Occam.Tests.Regularizers;

using Occam.Regularizers;

public class AttachTests
{
    static double SumSq(Tensor t) => t.ToArray().Sum(v => (double)v * v);
    static double SumAbs(Tensor t) => t.ToArray().Sum(v => Math.Abs((double)v));

    [Fact]
    public void LinearKernelAndBiasPenaltiesAreSummed()
    {
        var layer = new Linear(4, 3, generator: new Generator(1), kernelRegularizer: new L2(0.1), biasRegularizer: new L1(0.2));
        Assert.Same(layer.KernelRegularizer, layer.Weight.Regularizer);
        Assert.IsType<L1>(layer.BiasRegularizer);
        var total = Regularization.Penalty(layer);
        Assert.Equal(0, total.Rank);
        Assert.Equal(0.1 * SumSq(layer.Weight) + 0.2 * SumAbs(layer.Bias!), total.Item(), 5);
    }

    [Fact]
    public void Conv2dPenaltiesAreSummedAcrossTheTree()
    {
        var conv = new Conv2d(2, 3, 3, generator: new Generator(2), kernelRegularizer: new ElasticNet(0.01, 0.02));
        var fc = new Linear(3, 2, generator: new Generator(3), kernelRegularizer: new L2(0.5));
        var model = new Sequential(conv, new ReLU(), fc);
        double expected = 0.01 * SumAbs(conv.Weight) + 0.02 * SumSq(conv.Weight) + 0.5 * SumSq(fc.Weight);
        Assert.Equal(expected, Regularization.Penalty(model).Item(), 5);
    }

    [Fact]
    public void PenaltyGradientReachesTheWeights()
    {
        var layer = new Linear(3, 2, bias: false, generator: new Generator(4), kernelRegularizer: new L2(0.5));
        Regularization.Penalty(layer).Backward();
        Support.GradCheck.Close(layer.Weight.ToArray().Select(v => v * 1f).ToArray(), layer.Weight.Grad!.ToArray()); // 2·0.5·w
    }

    [Fact]
    public void NoPenaltiesGiveAZeroScalar()
    {
        var p = Regularization.Penalty(new Sequential(new Linear(2, 2), new ReLU()));
        Assert.Equal(0, p.Rank);
        Assert.Equal(0f, p.Item());
    }

    [Fact]
    public void FrozenParametersAddNoPenalty()
    {
        // Keras 3 sums the regularizers of model.trainable_weights only: a frozen backbone's L2 is not in the loss
        // (it used to be, as a constant that moved every logged loss and val_loss).
        var backbone = new Linear(4, 3, generator: new Generator(1), kernelRegularizer: new L2(0.1), biasRegularizer: new L1(0.2));
        var head = new Linear(3, 2, generator: new Generator(2), kernelRegularizer: new L2(0.5));
        var model = new Sequential(backbone, new ReLU(), head);
        backbone.Freeze();
        Assert.Equal(0.5 * SumSq(head.Weight), Regularization.Penalty(model).Item(), 5);
        backbone.Bias!.RequiresGrad = true;
        Assert.Equal(0.5 * SumSq(head.Weight) + 0.2 * SumAbs(backbone.Bias), Regularization.Penalty(model).Item(), 5);
        model.Freeze();
        Assert.Equal(0f, Regularization.Penalty(model).Item());
    }

    [Fact]
    public void ActivityPenaltyIsRecordedInTrainingOnlyAndClearedByTheSum()
    {
        var layer = new Linear(3, 2, generator: new Generator(5), activityRegularizer: new L2(0.1));
        var model = new Sequential(layer);
        var x = Tensor.RandN([4, 3], new Generator(6));

        var y = model.Forward(x);
        double expected = 0.1 * SumSq(y); // Keras 3: the whole output's penalty (tf.keras 2 divided by the batch size)
        Assert.Equal(expected, Regularization.Penalty(model).Item(), 5);
        // so a batch of the same rows three times has three times the penalty
        model.Forward(Tensor.Cat([x, x, x]));
        Assert.Equal(3 * expected, Regularization.Penalty(model).Item(), 4);
        // and a single sample [3] counts as a batch of one, as [1, 3] does
        model.Forward(Tensor.FromArray(x.ToArray()[..3], 3));
        double single = Regularization.Penalty(model).Item();
        model.Forward(Tensor.FromArray(x.ToArray()[..3], 1, 3));
        Assert.Equal(Regularization.Penalty(model).Item(), single, 6);
        Assert.Equal(0f, Regularization.Penalty(model).Item()); // cleared

        model.Forward(x); model.Forward(x);                      // two calls since the last sum: both count
        Assert.Equal(2 * expected, Regularization.Penalty(model).Item(), 5);

        model.Eval();
        model.Forward(x);
        Assert.Equal(0f, Regularization.Penalty(model).Item());

        model.Train();
        using (Autograd.NoGrad()) model.Forward(x);
        Assert.Equal(0f, Regularization.Penalty(model).Item());
    }

    [Fact]
    public void ActivityPenaltyOfConv2dBackpropagatesToTheInput()
    {
        var conv = new Conv2d(1, 2, 2, generator: new Generator(7), activityRegularizer: new L1(0.01));
        var x = Tensor.RandN([2, 1, 4, 4], new Generator(8));
        x.RequiresGrad = true;
        var y = conv.Forward(x);
        double expected = 0.01 * SumAbs(y);
        var loss = y.Sum() * 0f + Regularization.Penalty(conv);
        Assert.Equal(expected, loss.Item(), 5);
        loss.Backward();
        Assert.Contains(x.Grad!.ToArray(), v => v != 0);
    }

    [Fact]
    public void ConstraintsAttachToTheParameters()
    {
        var conv = new Conv2d(2, 3, 3, kernelConstraint: new MaxNorm(1), biasConstraint: new NonNeg());
        Assert.IsType<MaxNorm>(conv.Weight.Constraint);
        Assert.IsType<NonNeg>(conv.BiasConstraint);
        var fc = new Linear(2, 2) { KernelConstraint = new UnitNorm() };
        Assert.IsType<UnitNorm>(fc.Weight.Constraint);
    }

    [Fact]
    public void BiasSettingsWithoutABiasAreRejected()
    {
        Assert.Equal("Linear: biasRegularizer and biasConstraint need bias: true",
            Assert.Throws<ArgumentException>(() => new Linear(2, 2, bias: false, biasRegularizer: new L2())).Message);
        Assert.Throws<ArgumentException>(() => new Conv2d(1, 1, 1, bias: false, biasConstraint: new NonNeg()));
        Assert.Throws<InvalidOperationException>(() => new Linear(2, 2, bias: false).BiasRegularizer = new L1());
    }

    [Fact]
    public void ExistingCallSitesStillCompile()
    {
        var a = new Linear(3, 2, true, new Generator(1));
        var b = new Conv2d(1, 2, (3, 3), (1, 1), (0, 0), (1, 1), 1, true, new Generator(1));
        Assert.Null(a.KernelRegularizer);
        Assert.Null(b.ActivityRegularizer);
    }
}
