using Occam.NN;

namespace Occam.Optim;

/// <summary>
/// RMSprop (Hinton, lecture 6e), as torch.optim.RMSprop: g ← g + λθ (coupled decay);
/// s ← αs + (1 − α)g²; centered: a ← αa + (1 − α)g and the denominator is √(s − a²) + ε, else √s + ε;
/// with momentum b ← μb + g/denominator, θ ← θ − lr·b; without, θ ← θ − lr·g/denominator.
/// </summary>
public sealed class RMSprop : Optimizer
{
    public RMSprop(IEnumerable<Parameter> parameters, double lr = 1e-2, double alpha = 0.99, double eps = 1e-8, double weightDecay = 0, double momentum = 0, bool centered = false, double l1Proximal = 0)
        : this(Single(parameters), lr, alpha, eps, weightDecay, momentum, centered, l1Proximal) { }

    public RMSprop(IEnumerable<ParameterGroup> groups, double lr = 1e-2, double alpha = 0.99, double eps = 1e-8, double weightDecay = 0, double momentum = 0, bool centered = false, double l1Proximal = 0)
        : base(groups, lr, weightDecay, l1Proximal)
    {
        if (!(alpha >= 0 && alpha <= 1)) throw new ArgumentException($"RMSprop: alpha must be in [0, 1], got {alpha}");
        CheckNonNegative("RMSprop", "eps", eps);
        (Alpha, Eps, Centered) = (alpha, eps, centered);
        DefaultMomentum(momentum);
    }

    public double Alpha { get; }
    public double Eps { get; }
    public bool Centered { get; }

    private protected override void Update(ParameterGroup group, Span<float> p, ReadOnlySpan<float> grad, ParameterState state)
    {
        float lr = (float)group.LrValue, wd = (float)group.WeightDecay!.Value, mu = (float)group.Momentum!.Value;
        float alpha = (float)Alpha, eps = (float)Eps;
        var sq = state.Buffer("square_avg", p.Length);
        var avg = Centered ? state.Buffer("grad_avg", p.Length) : null;
        var buf = mu > 0 ? state.Buffer("momentum_buffer", p.Length) : null;
        for (int i = 0; i < p.Length; i++)
        {
            float g = grad[i] + wd * p[i];
            sq[i] = alpha * sq[i] + (1 - alpha) * g * g;
            float denom;
            if (avg != null)
            {
                avg[i] = alpha * avg[i] + (1 - alpha) * g;
                denom = MathF.Sqrt(sq[i] - avg[i] * avg[i]) + eps;
            }
            else denom = MathF.Sqrt(sq[i]) + eps;
            if (buf != null)
            {
                buf[i] = mu * buf[i] + g / denom;
                p[i] -= lr * buf[i];
            }
            else p[i] -= lr * g / denom;
        }
    }
}
