namespace Occam.Data.Augment;

/// <summary>Gamma and Beta variates drawn from a <see cref="Generator"/> (for MixUp and CutMix's λ).</summary>
public static class RandomSampling
{
    /// <summary>Gamma(shape, 1) by Marsaglia &amp; Tsang (2000): d = k − ⅓, c = 1/√(9d); repeat z ~ N(0, 1),
    /// v = (1 + c·z)³ until v &gt; 0 and log u &lt; z²/2 + d − d·v + d·log v, return d·v. For k &lt; 1,
    /// Gamma(k) = Gamma(k + 1)·u^(1/k).</summary>
    public static double Gamma(Generator generator, double shape) => Math.Exp(LogGamma(generator, shape));

    /// <summary>Beta(α, β) = X / (X + Y) with X ~ Gamma(α), Y ~ Gamma(β), computed from the logarithms so that very
    /// small α, β (whose Gamma draws underflow) still give a value in [0, 1]. Mean α/(α+β).</summary>
    public static double Beta(Generator generator, double alpha, double beta)
    {
        double lx = LogGamma(generator, alpha), ly = LogGamma(generator, beta);
        return 1 / (1 + Math.Exp(ly - lx));
    }

    static double LogGamma(Generator generator, double shape)
    {
        ArgumentNullException.ThrowIfNull(generator);
        if (!(shape > 0) || double.IsInfinity(shape))
            throw new ArgumentOutOfRangeException(nameof(shape), shape, $"RandomSampling.Gamma: shape must be positive and finite, got {shape}");
        if (shape < 1)
        {
            double u = 1 - generator.NextDouble(); // (0, 1]: log is finite
            return LogGamma(generator, shape + 1) + Math.Log(u) / shape;
        }
        double d = shape - 1.0 / 3, c = 1 / Math.Sqrt(9 * d);
        while (true)
        {
            double z = generator.NextNormal();
            double v = 1 + c * z;
            if (v <= 0) continue;
            v = v * v * v;
            double uu = 1 - generator.NextDouble();
            if (uu < 1 - 0.0331 * z * z * z * z || Math.Log(uu) < 0.5 * z * z + d * (1 - v + Math.Log(v)))
                return Math.Log(d * v);
        }
    }
}
