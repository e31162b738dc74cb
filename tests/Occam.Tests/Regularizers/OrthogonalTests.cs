using Occam.NN;
using Occam.Optim;
using Occam.Regularizers;
using Occam.Tests.Support;

namespace Occam.Tests.Regularizers;

/// <summary>keras.regularizers.OrthogonalRegularizer (outputs and gradients against its formula in PyTorch are in
/// ops.json, case orthogonal_*).</summary>
public class OrthogonalTests
{
    [Fact]
    public void IsFactorTimesTheMeanAbsoluteCosineOverPairs()
    {
        // rows (1, 0), (1, 1), (0, 2): |cos| of the pairs 1/√2, 0, 1/√2; mean √2/3
        var w = Tensor.FromArray([1f, 0f, 1f, 1f, 0f, 2f], 3, 2);
        Assert.Equal(0.5 * Math.Sqrt(2) / 3, new Orthogonal(0.5).Penalty(w).Item(), 6);
        // columns (1, 1, 0) and (0, 1, 2): |cos| = 1/(√2·√5)
        Assert.Equal(2 / Math.Sqrt(10), new Orthogonal(2, OrthogonalMode.Columns).Penalty(w).Item(), 6);
        // orthogonal rows of any length cost nothing; parallel ones cost the factor
        Assert.Equal(0, new Orthogonal(1).Penalty(Tensor.FromArray([3f, 0f, 0f, 0f, -5f, 0f], 2, 3)).Item(), 7);
        Assert.Equal(0.01, new Orthogonal().Penalty(Tensor.FromArray([1f, 2f, -2f, -4f], 2, 2)).Item(), 7);
    }

    [Fact]
    public void GradientMatchesFiniteDifferences()
    {
        foreach (var mode in new[] { OrthogonalMode.Rows, OrthogonalMode.Columns })
            GradCheck.Check(x => new Orthogonal(0.7, mode).Penalty(x[0]), Tensor.RandN([4, 3], new Generator(3)));
    }

    [Fact]
    public void AZeroVectorOrASingleOneIsNotNaN()
    {
        var w = new Parameter(Tensor.FromArray([0f, 0f, 1f, 2f, 2f, -1f], 3, 2));
        var penalty = new Orthogonal(1).Penalty(w);
        Assert.Equal(0, penalty.Item(), 7); // (1, 2) ⟂ (2, −1), and the zero row has no direction
        penalty.Backward();
        Assert.All(w.Grad!.ToArray(), g => Assert.True(float.IsFinite(g)));
        var single = new Parameter(Tensor.FromArray([1f, 2f, 3f], 1, 3));
        var none = new Orthogonal(1).Penalty(single);
        Assert.Equal(0, none.Item());
        none.Backward();
        Assert.Equal([0f, 0f, 0f], single.Grad!.ToArray());
    }

    [Fact]
    public void TrainingWithItDecorrelatesTheUnits()
    {
        // Four units starting nearly parallel; descent on the penalty alone spreads their directions apart.
        var g = new Generator(5);
        var layer = new Linear(6, 4, generator: g, kernelRegularizer: new Orthogonal(1));
        var start = Tensor.RandN([1, 6], g);
        using (Autograd.NoGrad())
        {
            var noise = Tensor.RandN([4, 6], g).Span;
            var w = layer.Weight.Span;
            for (int i = 0; i < w.Length; i++) w[i] = start.Span[i % 6] + 0.05f * noise[i];
        }
        double Cost() => new Orthogonal(1).Penalty(layer.Weight).Item();
        double before = Cost();
        var opt = new SGD(layer.Parameters(), lr: 0.5);
        for (int step = 0; step < 200; step++)
        {
            opt.ZeroGrad();
            Regularization.Penalty(layer).Backward();
            opt.Step();
        }
        Assert.True(before > 0.9, $"start {before}");
        Assert.True(Cost() < 0.1, $"after 200 steps {Cost()} (from {before})");
    }

    [Fact]
    public void RegistryAndConfigs()
    {
        var byName = Assert.IsType<Orthogonal>(Occam.Regularizers.Regularizers.Get("orthogonal_regularizer"));
        Assert.Equal((0.01, OrthogonalMode.Rows), (byName.Factor, byName.Mode));
        var keras = Assert.IsType<Orthogonal>(Occam.Regularizers.Regularizers.Get(
            "{\"class_name\": \"OrthogonalRegularizer\", \"config\": {\"factor\": 0.2, \"mode\": \"columns\"}}"));
        Assert.Equal((0.2, OrthogonalMode.Columns), (keras.Factor, keras.Mode));
        var back = Assert.IsType<Orthogonal>(Occam.Regularizers.Regularizers.Get(keras.ToConfig()));
        Assert.Equal(keras.ToConfig(), back.ToConfig());
        Assert.Equal("Orthogonal(factor=0.2, mode=columns)", keras.ToString());
        Assert.Contains("'mode' must be \"rows\" or \"columns\", got \"diagonal\"",
            Assert.Throws<ArgumentException>(() => Occam.Regularizers.Regularizers.Get("{\"factor\": 1, \"mode\": \"diagonal\"}")).Message);
        Assert.Contains("'factor' must be a number",
            Assert.Throws<ArgumentException>(() => Occam.Regularizers.Regularizers.Get("{\"factor\": \"big\"}")).Message);
    }

    [Fact]
    public void BadSettingsAndInputsAreRefused()
    {
        Assert.StartsWith("Orthogonal: factor must be", Assert.Throws<ArgumentException>(() => new Orthogonal(-1)).Message);
        Assert.StartsWith("Orthogonal: factor must be", Assert.Throws<ArgumentException>(() => new Orthogonal(double.NaN)).Message);
        Assert.Contains("got 7", Assert.Throws<ArgumentException>(() => new Orthogonal(1, (OrthogonalMode)7)).Message);
        var e = Assert.Throws<ArgumentException>(() => new Orthogonal().Penalty(Tensor.Zeros(2, 3, 3)));
        Assert.Equal("Orthogonal: takes a 2-D weight (a linear layer's), got shape [2, 3, 3]", e.Message);
    }
}
