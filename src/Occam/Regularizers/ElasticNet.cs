namespace Occam.Regularizers;

/// <summary>Elastic-net penalty l1·Σ|w| + l2·Σw² (keras.regularizers.L1L2; Zou &amp; Hastie 2005). A zero
/// strength drops its term; both default to 0, as Keras's L1L2 (so <c>new ElasticNet(l2: 5e-4)</c> has no L1 term; the
/// registry's "l1_l2" means 0.01 and 0.01, as Keras's string).</summary>
public sealed class ElasticNet(double l1 = 0, double l2 = 0) : Regularizer
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

    public override Dictionary<string, object?> ToConfig() => new() { ["l1"] = L1Strength, ["l2"] = L2Strength };
}
