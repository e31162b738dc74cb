namespace Occam.Data.Augment;

/// <summary>Gamma and Beta variates drawn from a <see cref="Generator"/> (for MixUp and CutMix's λ).</summary>
public static class RandomSampling
{
    /// <summary>Gamma(shape, 1) by Marsaglia &amp; Tsang (2000): d = k − ⅓, c = 1/√(9d); repeat z ~ N(0, 1),
    /// v = (1 + c·z)³ until v &gt; 0 and log u &lt; z²/2 + d − d·v + d·log v, return d·v. For k &lt; 1,
    /// Gamma(k) = Gamma(k + 1)·u^(1/k).</summary>
    public static double Gamma(Generator generator, double shape) => Math.Exp(LogGamma(generator, shape));

    /// <summary>Beta(α, β) = X / (X + Y) with X ~ Gamma(α), Y ~ Gamma(β), computed from the logarithms so that very
    /// small α, β (whose Gamma draws underflow) still give a value in [0, 1]. Mean α/(α+β). Where α, β are so small
    /// (below about 1e-308) that log X and log Y both overflow to −∞, the two are compared in log space and the result
    /// is 0 or 1: Beta(α, β) tends to Bernoulli(α/(α+β)) on {0, 1} as α, β → 0.</summary>
    public static double Beta(Generator generator, double alpha, double beta)
    {
        var x = Draw(generator, alpha);
        var y = Draw(generator, beta);
        double difference = LogGamma(y, beta) - LogGamma(x, alpha);
        if (double.IsNaN(difference))
        {
            // log X = head + log(U)/α = −∞ and likewise log Y: the tails −log(U)/α dwarf the heads, so the smaller tail
            // wins, and log(−log U) − log α compares the tails without overflow.
            double tailX = Math.Log(-x.LogU) - Math.Log(alpha), tailY = Math.Log(-y.LogU) - Math.Log(beta);
            if (tailX != tailY) return tailX < tailY ? 1 : 0;
            difference = y.Head - x.Head; // tails equal to double precision: the heads decide
        }
        return 1 / (1 + Math.Exp(difference));
    }

    static double LogGamma(Generator generator, double shape) => LogGamma(Draw(generator, shape), shape);

    /// <summary>log Gamma(shape) from its draw: head + log(U)/shape below 1, the head alone from 1 up.</summary>
    static double LogGamma((double Head, double LogU) draw, double shape) => shape < 1 ? draw.Head + draw.LogU / shape : draw.Head;

    /// <summary>The parts of a Gamma(shape) draw kept apart, so that <see cref="Beta"/> can compare draws whose
    /// logarithm overflows: for shape &lt; 1, Head = log of a Gamma(shape + 1) draw and LogU = log U; from 1 up, Head
    /// = log of a Gamma(shape) draw and LogU = 0.</summary>
    static (double Head, double LogU) Draw(Generator generator, double shape)
    {
        ArgumentNullException.ThrowIfNull(generator);
        if (!(shape > 0) || double.IsInfinity(shape))
            throw new ArgumentOutOfRangeException(nameof(shape), shape, $"RandomSampling.Gamma: shape must be positive and finite, got {shape}");
        if (shape < 1)
        {
            double u = 1 - generator.NextDouble(); // (0, 1]: log is finite
            return (Marsaglia(generator, shape + 1), Math.Log(u));
        }
        return (Marsaglia(generator, shape), 0);
    }

    /// <summary>log Gamma(shape) for shape ≥ 1.</summary>
    static double Marsaglia(Generator generator, double shape)
    {
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
