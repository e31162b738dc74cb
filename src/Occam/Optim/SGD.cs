using Occam.NN;

namespace Occam.Optim;

/// <summary>
/// Stochastic gradient descent with momentum, as torch.optim.SGD. Weight decay is coupled (L2 through
/// the gradient): g ← g + λθ before momentum; b ← μ·b + (1 − dampening)·g (b = g at the first step);
/// g ← g + μ·b with Nesterov, else g ← b; θ ← θ − lr·g.
/// </summary>
public sealed class SGD : Optimizer
{
    public SGD(IEnumerable<Parameter> parameters, double lr, double momentum = 0, double dampening = 0, double weightDecay = 0, bool nesterov = false, double l1Proximal = 0)
        : this(Single(parameters), lr, momentum, dampening, weightDecay, nesterov, l1Proximal) { }

    public SGD(IEnumerable<ParameterGroup> groups, double lr, double momentum = 0, double dampening = 0, double weightDecay = 0, bool nesterov = false, double l1Proximal = 0)
        : base(groups, lr, weightDecay, l1Proximal)
    {
        if (!(dampening >= 0 && dampening <= 1)) throw new ArgumentException($"SGD: dampening must be in [0, 1], got {dampening}");
        Dampening = dampening;
        Nesterov = nesterov;
        DefaultMomentum(momentum);
        CheckGroups();
    }

    private protected override string? GroupProblem(IReadOnlyDictionary<string, double> group) =>
        Nesterov && (!(group.GetValueOrDefault("momentum") > 0) || Dampening != 0)
            ? $"Nesterov momentum requires a positive momentum and zero dampening, got momentum {group.GetValueOrDefault("momentum")}, dampening {Dampening}"
            : null;

    public double Dampening { get; }
    public bool Nesterov { get; }

    private protected override void Update(ParameterGroup group, Span<float> p, ReadOnlySpan<float> grad, ParameterState state)
    {
        float lr = (float)group.LrValue, wd = (float)group.WeightDecay!.Value, mu = (float)group.Momentum!.Value, damp = (float)Dampening;
        // As torch, the buffer starts as the first gradient it sees, also when momentum is switched on mid-run.
        bool first = mu != 0 && !state.Buffers.ContainsKey("momentum_buffer");
        float[]? buf = mu != 0 ? state.Buffer("momentum_buffer", p.Length) : null;
        for (int i = 0; i < p.Length; i++)
        {
            float g = grad[i] + wd * p[i];
            if (buf != null)
            {
                buf[i] = first ? g : mu * buf[i] + (1 - damp) * g;
                g = Nesterov ? g + mu * buf[i] : buf[i];
            }
            p[i] -= lr * g;
        }
    }
}
