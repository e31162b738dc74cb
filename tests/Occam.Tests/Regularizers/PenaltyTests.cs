using Occam.Tests.Support;

namespace Occam.Tests.Regularizers;

using Occam.Regularizers;

public class PenaltyTests
{
    static readonly Tensor W = Tensor.FromArray([1f, -2f, 0.5f, 0f, -0.25f, 3f], 2, 3);
    const double SumAbs = 1 + 2 + 0.5 + 0 + 0.25 + 3;            // 6.75
    const double SumSq = 1 + 4 + 0.25 + 0 + 0.0625 + 9;          // 14.3125

    [Fact]
    public void L1IsLambdaTimesSumOfAbsoluteValues()
    {
        var p = new L1(0.1).Penalty(W);
        Assert.Equal(0, p.Rank);
        Assert.Equal(0.1 * SumAbs, p.Item(), 5);
    }

    [Fact]
    public void L2IsLambdaTimesSumOfSquaresWithoutHalfOrMean() =>
        Assert.Equal(0.1 * SumSq, new L2(0.1).Penalty(W).Item(), 5);

    [Fact]
    public void ElasticNetAddsBothTerms()
    {
        Assert.Equal(0.1 * SumAbs + 0.2 * SumSq, new ElasticNet(0.1, 0.2).Penalty(W).Item(), 5);
        Assert.Equal(0.2 * SumSq, new ElasticNet(0, 0.2).Penalty(W).Item(), 5);
        Assert.Equal(0.1 * SumAbs, new ElasticNet(0.1, 0).Penalty(W).Item(), 5);
    }

    [Fact]
    public void DefaultsAreKeras()
    {
        Assert.Equal(0.01, new L1().Strength);
        Assert.Equal(0.01, new L2().Strength);
        // keras.regularizers.L1L2() defaults to 0 and 0 ("L1L2(l2=0.1) will only have l2 and no l1 penalty"); the string
        // "l1_l2" means 0.01 and 0.01
        Assert.Equal((0.0, 0.0), (new ElasticNet().L1Strength, new ElasticNet().L2Strength));
        Assert.Equal(0.0, new ElasticNet(l2: 5e-4).L1Strength);
        var named = Assert.IsType<ElasticNet>(Regularizers.Get("l1_l2"));
        Assert.Equal((0.01, 0.01), (named.L1Strength, named.L2Strength));
    }

    [Fact]
    public void ConfigAndNameRoundTrip()
    {
        Assert.Equal(new Dictionary<string, object?> { ["l1"] = 0.1 }, new L1(0.1).ToConfig());
        Assert.Equal(new Dictionary<string, object?> { ["l2"] = 0.2 }, new L2(0.2).ToConfig());
        Assert.Equal(new Dictionary<string, object?> { ["l1"] = 0.1, ["l2"] = 0.2 }, new ElasticNet(0.1, 0.2).ToConfig());
        Assert.Equal(("l1", "l2", "l1_l2"), (new L1().Name, new L2().Name, new ElasticNet().Name));
        Assert.Equal("ElasticNet(l1=0.1, l2=0.2)", new ElasticNet(0.1, 0.2).ToString());
    }

    [Fact]
    public void GradientsFlowAndMatchHandComputation()
    {
        var w = Tensor.FromArray([1f, -2f, 0.5f], 3);
        w.RequiresGrad = true;
        new ElasticNet(0.1, 0.2).Penalty(w).Backward();
        // l1·sign(w) + 2·l2·w
        GradCheck.Close([0.1f + 0.4f, -0.1f - 0.8f, 0.1f + 0.2f], w.Grad!.ToArray());
    }

    public static TheoryData<string> Kinds() => ["l1", "l2", "l1_l2"];

    [Theory]
    [MemberData(nameof(Kinds))]
    public void GradCheck_(string kind)
    {
        Regularizer r = kind switch { "l1" => new L1(0.3), "l2" => new L2(0.3), _ => new ElasticNet(0.3, 0.2) };
        GradCheck.Check(x => r.Penalty(x[0]), GradCheck.Away([3, 4], 7, 0.05f, 0f));
    }

    [Theory]
    [InlineData(-0.1)]
    [InlineData(double.NaN)]
    [InlineData(double.PositiveInfinity)]
    public void BadStrengthIsRejectedWithTheValue(double bad)
    {
        var e1 = Assert.Throws<ArgumentException>(() => new L1(bad));
        Assert.StartsWith("L1: l1 must be", e1.Message);
        Assert.Contains(bad.ToString(System.Globalization.CultureInfo.InvariantCulture), e1.Message);
        Assert.StartsWith("L2: l2 must be", Assert.Throws<ArgumentException>(() => new L2(bad)).Message);
        Assert.StartsWith("ElasticNet: l1 must be", Assert.Throws<ArgumentException>(() => new ElasticNet(bad, 0.1)).Message);
        Assert.StartsWith("ElasticNet: l2 must be", Assert.Throws<ArgumentException>(() => new ElasticNet(0.1, bad)).Message);
    }

    [Fact]
    public void NegativeStrengthMessage() =>
        Assert.Equal("L2: l2 must be a finite non-negative number, got -0.5", Assert.Throws<ArgumentException>(() => new L2(-0.5)).Message);
}
