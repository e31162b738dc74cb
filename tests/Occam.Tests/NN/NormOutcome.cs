using Occam.NN;

namespace Occam.Tests.NN;

/// <summary>What a batch-norm run gives: its output, the input's gradient, γ's and β's gradients (empty without them)
/// and the running statistics after it. The fused-op and thread-count tests compare two runs bit for bit.</summary>
internal sealed record NormOutcome(float[] Y, float[] Dx, float[] Dw, float[] Db, float[] Mean, float[] Var)
{
    /// <summary>Reads the outcome of a run whose output is <paramref name="output"/> after its backward.</summary>
    public static NormOutcome Of(float[] output, Tensor input, BatchNormBase norm) =>
        new(output, input.Grad!.Span.ToArray(), norm.Weight?.Grad?.Span.ToArray() ?? [], norm.Bias?.Grad?.Span.ToArray() ?? [],
            norm.RunningMean!.Span.ToArray(), norm.RunningVar!.Span.ToArray());

    /// <summary>Asserts that every field holds the same floats, bit for bit.</summary>
    public static void AssertSame(NormOutcome expected, NormOutcome actual)
    {
        Assert.Equal(expected.Y, actual.Y);
        Assert.Equal(expected.Dx, actual.Dx);
        Assert.Equal(expected.Dw, actual.Dw);
        Assert.Equal(expected.Db, actual.Db);
        Assert.Equal(expected.Mean, actual.Mean);
        Assert.Equal(expected.Var, actual.Var);
    }
}
