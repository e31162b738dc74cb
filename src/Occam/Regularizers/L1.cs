namespace Occam.Regularizers;

/// <summary>L1 penalty λ·Σ|w| (keras.regularizers.L1; default λ = 0.01). Its subgradient pushes weights
/// toward zero but rarely onto it; for exact zeros use the optimizers' <c>l1Proximal</c> option.</summary>
public sealed class L1(double l1 = 0.01) : Regularizer
{
    public double Strength { get; } = Check("L1", "l1", l1);

    public override string Name => "l1";

    public override Tensor Penalty(Tensor w) => SumAbs(w) * (float)Strength;

    public override Dictionary<string, object?> ToConfig() => new() { ["l1"] = Strength };
}
