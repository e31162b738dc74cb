using Occam.NN;
using Occam.Tests.Support;

namespace Occam.Tests.NN;

/// <summary>Autograd against central differences for the modules added on 2026-12-02 (PReLU, SiLU, LogSoftmax,
/// AvgPool2d with a divisor override, InstanceNorm1d/3d), w.r.t. their input and their parameters. Their values and
/// gradients against PyTorch are in ModuleTests and InstanceNorm2dTests.</summary>
public class AddedModuleGradientTests
{
    [Fact]
    public void PReLUPerChannelToInputAndSlopes()
    {
        var prelu = new PReLU(3, init: 0.1f);
        using (Autograd.NoGrad()) prelu.Weight.CopyFrom(Tensor.FromArray([0.1f, -0.4f, 0.7f], 3));
        GradCheck.Check(t => prelu.Forward(t[0]), GradCheck.Away([2, 3, 4], 1, 0.05f, 0f), prelu.Weight);
    }

    [Fact]
    public void PReLUOneSlopeToInputAndSlope()
    {
        var prelu = new PReLU();
        GradCheck.Check(t => prelu.Forward(t[0]), GradCheck.Away([5, 2], 2, 0.05f, 0f), prelu.Weight);
    }

    [Fact]
    public void SiLU() => GradCheck.Check(t => new SiLU().Forward(t[0]), Tensor.RandN([3, 5], new Generator(3), std: 2f));

    [Fact]
    public void LogSoftmaxOverEitherDim()
    {
        GradCheck.Check(t => new LogSoftmax(1).Forward(t[0]), Tensor.RandN([3, 4], new Generator(4)));
        GradCheck.Check(t => new LogSoftmax(0).Forward(t[0]), Tensor.RandN([3, 4], new Generator(5)));
    }

    [Fact]
    public void AvgPoolWithADivisorOverride() =>
        GradCheck.Check(t => new AvgPool2d((3, 2), (2, 1), (1, 0), divisorOverride: 5).Forward(t[0]), Tensor.RandN([1, 2, 6, 5], new Generator(6)));

    [Fact]
    public void InstanceNorm1dAnd3dToInputWeightAndBias()
    {
        // Normalization over few elements is steep: a smaller step keeps central differences accurate.
        var norm1 = new InstanceNorm1d(3, affine: true);
        GradCheck.Check(t => norm1.Forward(t[0]), 2e-3f, 2e-2, Tensor.RandN([2, 3, 6], new Generator(7), std: 1.5f), norm1.Weight!, norm1.Bias!);
        var norm3 = new InstanceNorm3d(2, affine: true);
        GradCheck.Check(t => norm3.Forward(t[0]), 2e-3f, 2e-2, Tensor.RandN([1, 2, 2, 3, 2], new Generator(8), std: 1.5f), norm3.Weight!, norm3.Bias!);
    }
}
