using Occam.NN;
using Occam.Optim;
using Occam.Tests.Support;

namespace Occam.Tests.Regularizers;

using Occam.Regularizers;

public class ConstraintTests
{
    /// <summary>‖row‖₂ of each slice along dim 0.</summary>
    static double[] RowNorms(Tensor w)
    {
        var d = w.ToArray();
        int rows = w.Dim(0), n = d.Length / rows;
        return Enumerable.Range(0, rows).Select(r => Math.Sqrt(d.Skip(r * n).Take(n).Sum(v => (double)v * v))).ToArray();
    }

    // rows with norms 5, 0.5 and 2
    static Tensor Rows() => Tensor.FromArray([3f, 4f, 0.3f, 0.4f, 0f, 2f], 3, 2);

    [Fact]
    public void MaxNormScalesDownOnlyRowsThatAreTooLong()
    {
        var w = Rows();
        new MaxNorm(2).Apply(w);
        var norms = RowNorms(w);
        Assert.Equal(2, norms[0], 5);
        Assert.Equal(0.5, norms[1], 5);
        Assert.Equal(2, norms[2], 5);
        GradCheck.Close([1.2f, 1.6f, 0.3f, 0.4f, 0f, 2f], w.ToArray());
    }

    [Fact]
    public void DefaultAxisIsPerOutputUnitForConvKernels()
    {
        var w = Tensor.RandN([4, 2, 3, 3], new Generator(1), std: 2f);
        new MaxNorm(1).Apply(w);
        Assert.All(RowNorms(w), n => Assert.True(n <= 1 + 1e-5, $"norm {n}"));
        new UnitNorm().Apply(w);
        Assert.All(RowNorms(w), n => Assert.Equal(1, n, 4));
    }

    [Theory]
    [InlineData(new[] { 256, 784 })]
    [InlineData(new[] { 7, 3, 3, 3 })]
    [InlineData(new[] { 5, 1 })]
    public void MaxNormInPlaceMatchesTheTensorFormula(int[] shape)
    {
        // Apply's in-place rows against Project's tensor ops, norms from tiny to well past the bound
        var w = Tensor.RandN(shape, new Generator(3), std: 0.1f);
        var d = w.Span;
        int length = w.Size / shape[0];
        for (int r = 0; r < shape[0]; r++)
            for (int j = 0; j < length; j++) d[r * length + j] *= MathF.Pow(10, r % 5 - 2);
        var constraint = new MaxNorm(1.5);
        var expected = constraint.Project(w).ToArray();
        long version = w.Storage.Version;
        constraint.Apply(w);
        GradCheck.Close(expected, w.ToArray(), atol: 1e-7f, rtol: 1e-6f);
        Assert.NotEqual(version, w.Storage.Version);
    }

    [Fact]
    public void VectorsUseTheWholeVector()
    {
        var b = Tensor.FromArray([3f, 4f], 2);
        new MaxNorm(1).Apply(b);
        GradCheck.Close([0.6f, 0.8f], b.ToArray());
    }

    [Fact]
    public void OtherAxesCanBeChosen()
    {
        // Keras's default for a [in, out] kernel: axis 0 = per column here.
        var w = Tensor.FromArray([3f, 0f, 4f, 1f], 2, 2);
        new UnitNorm(axis: [0]).Apply(w);
        GradCheck.Close([0.6f, 0f, 0.8f, 1f], w.ToArray(), atol: 1e-5f);
    }

    [Fact]
    public void UnitNormMakesEveryRowUnitLength()
    {
        var w = Rows();
        new UnitNorm().Apply(w);
        Assert.All(RowNorms(w), n => Assert.Equal(1, n, 5));
    }

    [Fact]
    public void NonNegZerosNegatives()
    {
        var w = Tensor.FromArray([-1f, 0.5f, -0.001f, 2f], 4);
        new NonNeg().Apply(w);
        Assert.Equal([0f, 0.5f, 0f, 2f], w.ToArray());
    }

    [Fact]
    public void MinMaxNormClampsNormsIntoTheRange()
    {
        var w = Rows();
        new MinMaxNorm(1, 3).Apply(w);
        var n = RowNorms(w);
        Assert.Equal([3.0, 1.0, 2.0], n.Select(v => Math.Round(v, 4)));
    }

    [Fact]
    public void MinMaxNormRateMovesPartOfTheWay()
    {
        var w = Rows();
        new MinMaxNorm(1, 3, rate: 0.5).Apply(w);
        // d = 0.5·clip(n) + 0.5·n: 5 → 4, 0.5 → 0.75, 2 → 2
        Assert.Equal([4.0, 0.75, 2.0], RowNorms(w).Select(v => Math.Round(v, 4)));
    }

    [Fact]
    public void ProjectLeavesTheInputAndTheGraphAlone()
    {
        var w = Rows();
        w.RequiresGrad = true;
        var projected = new MaxNorm(1).Project(w);
        Assert.Equal(5, RowNorms(w)[0], 5);
        Assert.Equal(1, RowNorms(projected)[0], 5);
        Assert.False(projected.RequiresGrad);
    }

    [Fact]
    public void BadSettingsAreRejected()
    {
        Assert.Equal("MaxNorm: maxValue must be non-negative, got -1", Assert.Throws<ArgumentException>(() => new MaxNorm(-1)).Message);
        Assert.Contains("minValue 2, maxValue 1", Assert.Throws<ArgumentException>(() => new MinMaxNorm(2, 1)).Message);
        Assert.Contains("rate must be in [0, 1], got 1.5", Assert.Throws<ArgumentException>(() => new MinMaxNorm(rate: 1.5)).Message);
        var w = Tensor.Ones(3, 4);
        Assert.Equal("MaxNorm: axis 5 is out of range for a weight of shape [3, 4]", Assert.Throws<ArgumentException>(() => new MaxNorm(1, axis: [5]).Apply(w)).Message);
        Assert.Contains("UnitNorm: axis -3", Assert.Throws<ArgumentException>(() => new UnitNorm(axis: [-3]).Apply(w)).Message);
    }

    [Fact]
    public void AnEmptyOrRepeatedAxisIsRejectedAtConstruction()
    {
        // Keras's axis=[] reduces nothing under numpy, JAX and TensorFlow (a per-element norm) but everything under torch;
        // here it used to take the norm of the whole tensor. Neither is asked for on purpose: refuse it, as a repeat.
        Assert.Equal("MaxNorm: axis must name at least one dimension (null for the default, every dim but 0), got []",
            Assert.Throws<ArgumentException>(() => new MaxNorm(1, axis: [])).Message);
        Assert.Contains("UnitNorm: axis must name at least one dimension", Assert.Throws<ArgumentException>(() => new UnitNorm(axis: [])).Message);
        Assert.Contains("MinMaxNorm: axis must name at least one dimension", Assert.Throws<ArgumentException>(() => new MinMaxNorm(axis: [])).Message);
        Assert.Equal("MaxNorm: axis [1, 1] names a dimension twice", Assert.Throws<ArgumentException>(() => new MaxNorm(1, axis: [1, 1])).Message);
        // a negative axis and its positive twin are only known to clash once the weight's rank is
        Assert.Equal("UnitNorm: axis [1, -1] names a dimension twice", Assert.Throws<ArgumentException>(() => new UnitNorm(axis: [1, -1]).Apply(Tensor.Ones(3, 2))).Message);
    }

    [Fact]
    public void ConfigsUseKerasKeys()
    {
        Assert.Equal("MaxNorm(max_value=2, axis=null)", new MaxNorm().ToString());
        Assert.Equal("MinMaxNorm(min_value=0, max_value=1, rate=1, axis=[0])", new MinMaxNorm(axis: [0]).ToString());
        Assert.Equal(("max_norm", "unit_norm", "non_neg", "min_max_norm"), (new MaxNorm().Name, new UnitNorm().Name, new NonNeg().Name, new MinMaxNorm().Name));
    }

    [Fact]
    public void OptimizerStepAppliesTheConstraints()
    {
        var layer = new Linear(4, 3, generator: new Generator(3), kernelConstraint: new MaxNorm(0.1), biasConstraint: new NonNeg());
        var opt = new SGD(layer.Parameters(), lr: 0.5);
        var x = Tensor.RandN([8, 4], new Generator(4));
        for (int step = 0; step < 3; step++)
        {
            opt.ZeroGrad();
            (layer.Forward(x).Sum() * -1f).Backward(); // pushes every weight and bias up
            opt.Step();
            Assert.All(RowNorms(layer.Weight), n => Assert.True(n <= 0.1 + 1e-5, $"norm {n}"));
            Assert.All(layer.Bias!.ToArray(), b => Assert.True(b >= 0));
        }
    }

    [Fact]
    public void ConstraintRunsAfterTheProximalStepAndOnlyOnUpdatedParameters()
    {
        var layer = new Linear(2, 1, bias: false, kernelConstraint: new UnitNorm());
        layer.Weight.CopyFrom(Tensor.FromArray([3f, 4f], 1, 2));
        var opt = new AdamW(layer.Parameters(), lr: 0.1, l1Proximal: 0.5);
        opt.Step();                                   // no gradient yet: untouched
        Assert.Equal([3f, 4f], layer.Weight.ToArray());
        layer.Forward(Tensor.Ones(1, 2)).Sum().Backward();
        opt.Step();
        Assert.Equal(1, RowNorms(layer.Weight)[0], 5);
    }
}
