namespace Occam.Regularizers;

/// <summary>Elastic-net penalty l1·Σ|w| + l2·Σw² (keras.regularizers.L1L2; Zou &amp; Hastie 2005). A zero
/// strength drops its term.</summary>
public sealed class ElasticNet(double l1 = 0.01, double l2 = 0.01) : Regularizer
{
    public double L1Strength { get; } = Check("ElasticNet", "l1", l1);
    public double L2Strength { get; } = Check("ElasticNet", "l2", l2);

    public override string Name => "l1_l2";

    public override Tensor Penalty(Tensor w)
    {
        if (L1Strength == 0) return SumSquares(w) * (float)L2Strength;
        if (L2Strength == 0) return SumAbs(w) * (float)L1Strength;
        return SumAbs(w) * (float)L1Strength + SumSquares(w) * (float)L2Strength;
    }

    public override Dictionary<string, double> ToConfig() => new() { ["l1"] = L1Strength, ["l2"] = L2Strength };
}
