using Occam.NN;

namespace Occam.Optim;

/// <summary>
/// Adagrad (Duchi et al. 2011), as torch.optim.Adagrad: g ← g + λθ (coupled decay); s ← s + g²;
/// θ ← θ − lr/(1 + (t − 1)·lrDecay) · g/(√s + ε), s starting at <c>initialAccumulatorValue</c>. Each weight's step
/// shrinks with the squared gradients it has seen.
/// </summary>
public sealed class Adagrad : Optimizer
{
    public Adagrad(IEnumerable<Parameter> parameters, double lr = 1e-2, double lrDecay = 0, double weightDecay = 0, double initialAccumulatorValue = 0, double eps = 1e-10, double l1Proximal = 0)
        : this(Single(parameters), lr, lrDecay, weightDecay, initialAccumulatorValue, eps, l1Proximal) { }

    public Adagrad(IEnumerable<ParameterGroup> groups, double lr = 1e-2, double lrDecay = 0, double weightDecay = 0, double initialAccumulatorValue = 0, double eps = 1e-10, double l1Proximal = 0)
        : base(groups, lr, weightDecay, l1Proximal)
    {
        CheckNonNegative("Adagrad", "lrDecay", lrDecay);
        CheckNonNegative("Adagrad", "initialAccumulatorValue", initialAccumulatorValue);
        CheckNonNegative("Adagrad", "eps", eps);
        (LrDecay, InitialAccumulatorValue, Eps) = (lrDecay, initialAccumulatorValue, eps);
    }

    public double LrDecay { get; }
    public double InitialAccumulatorValue { get; }
    public double Eps { get; }

    private protected override void Update(ParameterGroup group, Span<float> p, ReadOnlySpan<float> grad, ParameterState state)
    {
        float wd = (float)group.WeightDecay!.Value, eps = (float)Eps;
        float clr = (float)(group.LrValue / (1 + (state.Step - 1) * LrDecay));
        bool fresh = !state.Buffers.ContainsKey("sum");
        var sum = state.Buffer("sum", p.Length);
        if (fresh && InitialAccumulatorValue != 0) Array.Fill(sum, (float)InitialAccumulatorValue);
        for (int i = 0; i < p.Length; i++)
        {
            float g = grad[i] + wd * p[i];
            sum[i] += g * g;
            p[i] -= clr * g / (MathF.Sqrt(sum[i]) + eps);
        }
    }
}

/// <summary>
/// Adamax (Kingma &amp; Ba 2015, §7), as torch.optim.Adamax: Adam with the infinity norm, g ← g + λθ;
/// m ← β₁m + (1 − β₁)g; u ← max(β₂u, |g| + ε); θ ← θ − lr/(1 − β₁ᵗ) · m/u.
/// </summary>
public sealed class Adamax : Optimizer
{
    public Adamax(IEnumerable<Parameter> parameters, double lr = 2e-3, (double Beta1, double Beta2)? betas = null, double eps = 1e-8, double weightDecay = 0, double l1Proximal = 0)
        : this(Single(parameters), lr, betas, eps, weightDecay, l1Proximal) { }

    public Adamax(IEnumerable<ParameterGroup> groups, double lr = 2e-3, (double Beta1, double Beta2)? betas = null, double eps = 1e-8, double weightDecay = 0, double l1Proximal = 0)
        : base(groups, lr, weightDecay, l1Proximal)
    {
        CheckNonNegative("Adamax", "eps", eps);
        Eps = eps;
        DefaultBetas(betas);
    }

    public double Eps { get; }

    private protected override void Update(ParameterGroup group, Span<float> p, ReadOnlySpan<float> grad, ParameterState state)
    {
        var (b1, b2) = group.Betas!.Value;
        float wd = (float)group.WeightDecay!.Value, beta1 = (float)b1, beta2 = (float)b2, eps = (float)Eps;
        float clr = (float)(group.LrValue / (1 - Math.Pow(b1, state.Step)));
        var m = state.Buffer("exp_avg", p.Length);
        var u = state.Buffer("exp_inf", p.Length);
        for (int i = 0; i < p.Length; i++)
        {
            float g = grad[i] + wd * p[i];
            m[i] = beta1 * m[i] + (1 - beta1) * g;
            u[i] = MathF.Max(beta2 * u[i], MathF.Abs(g) + eps);
            p[i] -= clr * m[i] / u[i];
        }
    }
}

/// <summary>
/// RAdam (Liu et al. 2020), as torch.optim.RAdam: Adam whose adaptive step is switched on only once the variance
/// of its estimate is bounded, and rectified until then. g ← g + λθ; m, v as Adam; ρ∞ = 2/(1 − β₂) − 1,
/// ρₜ = ρ∞ − 2tβ₂ᵗ/(1 − β₂ᵗ); while ρₜ ≤ 5 the step is plain momentum θ ← θ − lr·m̂; after, θ ← θ − lr·m̂·r·√(1 − β₂ᵗ)/(√v + ε)
/// with r = √((ρₜ − 4)(ρₜ − 2)ρ∞ / ((ρ∞ − 4)(ρ∞ − 2)ρₜ)) and m̂ = m/(1 − β₁ᵗ). It needs no learning-rate warm-up.
/// </summary>
public sealed class RAdam : Optimizer
{
    public RAdam(IEnumerable<Parameter> parameters, double lr = 1e-3, (double Beta1, double Beta2)? betas = null, double eps = 1e-8, double weightDecay = 0, double l1Proximal = 0)
        : this(Single(parameters), lr, betas, eps, weightDecay, l1Proximal) { }

    public RAdam(IEnumerable<ParameterGroup> groups, double lr = 1e-3, (double Beta1, double Beta2)? betas = null, double eps = 1e-8, double weightDecay = 0, double l1Proximal = 0)
        : base(groups, lr, weightDecay, l1Proximal)
    {
        CheckNonNegative("RAdam", "eps", eps);
        Eps = eps;
        DefaultBetas(betas);
    }

    public double Eps { get; }

    private protected override void Update(ParameterGroup group, Span<float> p, ReadOnlySpan<float> grad, ParameterState state)
    {
        var (b1, b2) = group.Betas!.Value;
        double lr = group.LrValue, t = state.Step;
        float wd = (float)group.WeightDecay!.Value, beta1 = (float)b1, beta2 = (float)b2, eps = (float)Eps;
        double bc1 = 1 - Math.Pow(b1, t), bc2 = 1 - Math.Pow(b2, t);
        double rhoInf = 2 / (1 - b2) - 1, rho = rhoInf - 2 * t * Math.Pow(b2, t) / bc2;
        bool rectified = rho > 5;
        float momentumStep = (float)(lr / bc1);
        float adaptiveStep = rectified
            ? (float)(lr / bc1 * Math.Sqrt((rho - 4) * (rho - 2) * rhoInf / ((rhoInf - 4) * (rhoInf - 2) * rho)) * Math.Sqrt(bc2))
            : 0;
        var m = state.Buffer("exp_avg", p.Length);
        var v = state.Buffer("exp_avg_sq", p.Length);
        for (int i = 0; i < p.Length; i++)
        {
            float g = grad[i] + wd * p[i];
            m[i] = beta1 * m[i] + (1 - beta1) * g;
            v[i] = beta2 * v[i] + (1 - beta2) * g * g;
            p[i] -= rectified ? adaptiveStep * m[i] / (MathF.Sqrt(v[i]) + eps) : momentumStep * m[i];
        }
    }
}

/// <summary>
/// NAdam (Dozat 2016), as torch.optim.NAdam: Adam with Nesterov momentum and a momentum schedule
/// μₜ = β₁(1 − ½·0.96^(t·ψ)), ψ the momentum decay. g ← g + λθ; m, v as Adam; with Πμ the product of μ₁…μₜ,
/// θ ← θ − lr(1 − μₜ)/(1 − Πμ) · g/d − lr·μₜ₊₁/(1 − Πμ·μₜ₊₁) · m/d, d = √(v/(1 − β₂ᵗ)) + ε.
/// The product is kept per parameter ("mu_product"), as PyTorch keeps it.
/// </summary>
public sealed class NAdam : Optimizer
{
    public NAdam(IEnumerable<Parameter> parameters, double lr = 2e-3, (double Beta1, double Beta2)? betas = null, double eps = 1e-8, double weightDecay = 0, double momentumDecay = 4e-3, double l1Proximal = 0)
        : this(Single(parameters), lr, betas, eps, weightDecay, momentumDecay, l1Proximal) { }

    public NAdam(IEnumerable<ParameterGroup> groups, double lr = 2e-3, (double Beta1, double Beta2)? betas = null, double eps = 1e-8, double weightDecay = 0, double momentumDecay = 4e-3, double l1Proximal = 0)
        : base(groups, lr, weightDecay, l1Proximal)
    {
        CheckNonNegative("NAdam", "eps", eps);
        CheckNonNegative("NAdam", "momentumDecay", momentumDecay);
        (Eps, MomentumDecay) = (eps, momentumDecay);
        DefaultBetas(betas);
    }

    public double Eps { get; }
    public double MomentumDecay { get; }

    internal override bool IsScalarState(string key) => key == "mu_product";

    private protected override void Update(ParameterGroup group, Span<float> p, ReadOnlySpan<float> grad, ParameterState state)
    {
        var (b1, b2) = group.Betas!.Value;
        double lr = group.LrValue, t = state.Step;
        float wd = (float)group.WeightDecay!.Value, beta1 = (float)b1, beta2 = (float)b2, eps = (float)Eps;
        double mu = b1 * (1 - 0.5 * Math.Pow(0.96, t * MomentumDecay)), muNext = b1 * (1 - 0.5 * Math.Pow(0.96, (t + 1) * MomentumDecay));
        double product = state.Scalars.GetValueOrDefault("mu_product", 1) * mu;
        state.Scalars["mu_product"] = product;
        float gradStep = (float)(lr * (1 - mu) / (1 - product)), momentumStep = (float)(lr * muNext / (1 - product * muNext));
        float bc2 = (float)(1 - Math.Pow(b2, t));
        var m = state.Buffer("exp_avg", p.Length);
        var v = state.Buffer("exp_avg_sq", p.Length);
        for (int i = 0; i < p.Length; i++)
        {
            float g = grad[i] + wd * p[i];
            m[i] = beta1 * m[i] + (1 - beta1) * g;
            v[i] = beta2 * v[i] + (1 - beta2) * g * g;
            float d = MathF.Sqrt(v[i] / bc2) + eps;
            p[i] -= gradStep * g / d + momentumStep * m[i] / d;
        }
    }
}
