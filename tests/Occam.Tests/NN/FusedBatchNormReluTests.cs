using Occam.NN;
using Xunit;

namespace Occam.Tests.NN;

/// <summary>Sequential runs BatchNorm followed by ReLU as one fused op; it must give what the two layers give
/// one after the other: the same output, input gradient, γ/β gradients and running statistics, in training and
/// evaluation, for [N, C] and [N, C, H, W] inputs of odd sizes (vector remainders).</summary>
public class FusedBatchNormReluTests
{
    static Tensor Random(int seed, params int[] shape) => Tensor.RandN(shape, new Generator((ulong)seed));

    static (float[] Y, float[] Dx, float[] Dw, float[] Db, float[] Mean, float[] Var) Run(BatchNormBase norm, Tensor x, Tensor upstream, bool fused)
    {
        var input = x.Clone();
        input.RequiresGrad = true;
        var y = fused ? new Sequential(norm, new ReLU()).Forward(input) : norm.Forward(input).Relu();
        var yArray = y.Span.ToArray();
        if (norm.IsTraining)
        {
            (y * upstream).Sum().Backward();
            return (yArray, input.Grad!.Span.ToArray(), norm.Weight!.Grad!.Span.ToArray(), norm.Bias!.Grad!.Span.ToArray(),
                norm.RunningMean!.Span.ToArray(), norm.RunningVar!.Span.ToArray());
        }
        return (yArray, [], [], [], norm.RunningMean!.Span.ToArray(), norm.RunningVar!.Span.ToArray());
    }

    [Fact]
    public void ANaNPassesTheGradientAsTheUnfusedReluDoes()
    {
        // column 2 holds a NaN, so its statistics and outputs are NaN: the unfused ReLU passes g there (as PyTorch), and so
        // must the fused backward
        var x = Random(4, 4, 3);
        x.Span[5] = float.NaN;
        var upstream = Tensor.Ones(4, 3);
        var fused = Run(new BatchNorm1d(3), x, upstream, fused: true);
        var unfused = Run(new BatchNorm1d(3), x, upstream, fused: false);
        Assert.Equal(unfused.Db, fused.Db);
        Assert.Equal(4f, fused.Db[2]);
    }

    public static TheoryData<int[], bool> Cases() => new()
    {
        { [7, 5], true }, { [7, 5], false }, { [3, 4, 5, 7], true }, { [3, 4, 5, 7], false }, { [2, 3, 17, 19], true },
    };

    [Theory, MemberData(nameof(Cases))]
    public void FusedEqualsBatchNormThenRelu(int[] shape, bool training)
    {
        var x = Random(1, shape);
        var upstream = Random(2, shape);
        BatchNormBase Make()
        {
            BatchNormBase norm = shape.Length == 2 ? new BatchNorm1d(shape[1]) : new BatchNorm2d(shape[1]);
            using (Autograd.NoGrad())
            {
                norm.Weight!.CopyFrom(Random(3, shape[1]));
                norm.Bias!.CopyFrom(Random(4, shape[1]));
                norm.RunningMean!.CopyFrom(Random(5, shape[1]));
                norm.RunningVar!.CopyFrom(Random(6, shape[1]).Abs() + 0.5f);
            }
            if (!training) norm.Eval();
            return norm;
        }
        var expected = Run(Make(), x, upstream, fused: false);
        var actual = Run(Make(), x, upstream, fused: true);
        Assert.Equal(expected.Y, actual.Y);
        Assert.Equal(expected.Mean, actual.Mean);
        Assert.Equal(expected.Var, actual.Var);
        Assert.Equal(expected.Dw.Length, actual.Dw.Length);
        for (int i = 0; i < expected.Dx.Length; i++) Assert.Equal(expected.Dx[i], actual.Dx[i], 5e-5f);
        for (int i = 0; i < expected.Dw.Length; i++) Assert.Equal(expected.Dw[i], actual.Dw[i], 5e-5f);
        for (int i = 0; i < expected.Db.Length; i++) Assert.Equal(expected.Db[i], actual.Db[i], 5e-5f);
        Assert.Contains(actual.Y, v => v == 0);
        Assert.Contains(actual.Y, v => v > 0);
    }

    [Fact]
    public void FusedReluPassesNaNInAnyColumn()
    {
        // As PyTorch's relu: a NaN stays NaN, in a 16-column vector step (column 3) or in the scalar tail (column 18).
        var norm = new BatchNorm1d(19);
        norm.Eval();
        var x = Tensor.Zeros(3, 19);
        x.Span[1 * 19 + 18] = float.NaN;
        x.Span[2 * 19 + 3] = float.NaN;
        Tensor y;
        using (Autograd.NoGrad()) y = new Sequential(norm, new ReLU()).Forward(x);
        var values = y.Span.ToArray();
        for (int i = 0; i < values.Length; i++)
            Assert.Equal(i == 1 * 19 + 18 || i == 2 * 19 + 3, float.IsNaN(values[i]));
    }

    // In evaluation with the default running statistics the fused op is relu(x/√(1+ε)): inputs kept away from the
    // kink at 0. (Training mode is covered above by equality with the separately gradient-checked ops.)
    [Fact]
    public void FusedPathPassesGradientCheckInEvaluation()
    {
        var model = new Sequential(new BatchNorm2d(3), new ReLU());
        model.Eval();
        Support.GradCheck.Check(t => model.Forward(t[0]), Support.GradCheck.Away([2, 3, 3, 5], 7, 0.05f, 0f));
    }
}
