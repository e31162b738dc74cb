using System.Runtime.Intrinsics;
using Occam.NN;

namespace Occam.Optim;

/// <summary>
/// Adam (Kingma &amp; Ba 2015), as torch.optim.Adam, with weight decay coupled as L2 through the gradient
/// (g ← g + λθ). m ← β₁m + (1 − β₁)g, v ← β₂v + (1 − β₂)g², θ ← θ − (lr/(1 − β₁ᵗ))·m/(√v/√(1 − β₂ᵗ) + ε);
/// AMSGrad (Reddi et al. 2018) uses the running maximum of v.
/// </summary>
public class Adam : Optimizer
{
    public Adam(IEnumerable<Parameter> parameters, double lr = 1e-3, (double Beta1, double Beta2)? betas = null, double eps = 1e-8, double weightDecay = 0, bool amsgrad = false, double l1Proximal = 0)
        : this(Single(parameters), lr, betas, eps, weightDecay, amsgrad, l1Proximal) { }

    public Adam(IEnumerable<ParameterGroup> groups, double lr = 1e-3, (double Beta1, double Beta2)? betas = null, double eps = 1e-8, double weightDecay = 0, bool amsgrad = false, double l1Proximal = 0)
        : base(groups, lr, weightDecay, l1Proximal)
    {
        string name = GetType().Name;
        CheckNonNegative(name, "eps", eps);
        Eps = eps;
        Amsgrad = amsgrad;
        DefaultBetas(betas);
    }

    public double Eps { get; }
    public bool Amsgrad { get; }

    /// <summary>Decoupled decay (AdamW) instead of L2 through the gradient.</summary>
    private protected virtual bool Decoupled => false;

    /// <summary>Decoupled decay factor for this step (AdamW overrides).</summary>
    private protected virtual float DecayFactor(double lr, double weightDecay) => 1f;

    private protected override void Update(ParameterGroup group, Span<float> p, ReadOnlySpan<float> grad, ParameterState state)
    {
        double lr = group.LrValue, wd = group.WeightDecay!.Value;
        var (b1, b2) = group.Betas!.Value;
        float coupled = Decoupled ? 0f : (float)wd;
        float decay = Decoupled ? DecayFactor(lr, wd) : 1f;
        float beta1 = (float)b1, beta2 = (float)b2, eps = (float)Eps;
        float stepSize = (float)(lr / (1 - Math.Pow(b1, state.Step)));
        float bc2Sqrt = (float)Math.Sqrt(1 - Math.Pow(b2, state.Step));
        var m = state.Buffer("exp_avg", p.Length);
        var v = state.Buffer("exp_avg_sq", p.Length);
        if (Amsgrad)
        {
            var vmax = state.Buffer("max_exp_avg_sq", p.Length);
            for (int i = 0; i < p.Length; i++)
            {
                float theta = p[i] * decay;
                float g = grad[i] + coupled * theta;
                m[i] = beta1 * m[i] + (1 - beta1) * g;
                v[i] = beta2 * v[i] + (1 - beta2) * g * g;
                float second = vmax[i] = MathF.Max(vmax[i], v[i]);
                p[i] = theta - stepSize * m[i] / (MathF.Sqrt(second) / bc2Sqrt + eps);
            }
            return;
        }
        var step = new AdamStep
        {
            Decay = decay, Coupled = coupled, Beta1 = beta1, Beta2 = beta2, Eps = eps, StepSize = stepSize, Bc2Sqrt = bc2Sqrt,
        };
        unsafe
        {
            fixed (float* pp = p, pg = grad, pm = m, pv = v)
            {
                step.P = pp; step.G = pg; step.M = pm; step.V = pv; step.Length = p.Length;
                // One contiguous share per thread, the same every step, so each core keeps updating the same
                // part of θ, m and v (claiming small chunks dynamically moved them between cores' caches).
                step.Tasks = Math.Clamp(p.Length / AdamStep.MinShare, 1, Threads.Count);
                if (step.Tasks == 1) step.Invoke(0);
                else Threads.For(step.Tasks, step);
            }
        }
    }

    /// <summary>The Adam update of one chunk of a parameter, in <see cref="System.Runtime.Intrinsics.Vector512{T}"/> steps;
    /// the same operations in the same order as the scalar rule, so results are bit-identical to it.</summary>
    unsafe struct AdamStep : IParallelBody
    {
        /// <summary>Elements a thread must get for another thread to pay.</summary>
        public const int MinShare = 32768;
        public float* P, G, M, V;
        public int Length, Tasks;
        public float Decay, Coupled, Beta1, Beta2, Eps, StepSize, Bc2Sqrt;

        public readonly void Invoke(int index)
        {
            // shares are whole 16-element vectors except the last
            int vectors = (Length + 15) / 16;
            int start = (int)Math.Min((long)vectors * index / Tasks * 16, Length);
            int end = (int)Math.Min((long)vectors * (index + 1) / Tasks * 16, Length), i = start;
            var decay = Vector512.Create(Decay);
            var coupled = Vector512.Create(Coupled);
            var b1 = Vector512.Create(Beta1);
            var b2 = Vector512.Create(Beta2);
            var c1 = Vector512.Create(1 - Beta1);
            var c2 = Vector512.Create(1 - Beta2);
            var eps = Vector512.Create(Eps);
            var stepSize = Vector512.Create(StepSize);
            var bc2 = Vector512.Create(Bc2Sqrt);
            for (; i + 16 <= end; i += 16)
            {
                var theta = Vector512.Load(P + i) * decay;
                var g = Vector512.Load(G + i) + coupled * theta;
                var m = b1 * Vector512.Load(M + i) + c1 * g;
                var v = b2 * Vector512.Load(V + i) + c2 * g * g;
                m.Store(M + i);
                v.Store(V + i);
                (theta - stepSize * m / (Vector512.Sqrt(v) / bc2 + eps)).Store(P + i);
            }
            for (; i < end; i++)
            {
                float theta = P[i] * Decay;
                float g = G[i] + Coupled * theta;
                M[i] = Beta1 * M[i] + (1 - Beta1) * g;
                V[i] = Beta2 * V[i] + (1 - Beta2) * g * g;
                P[i] = theta - StepSize * M[i] / (MathF.Sqrt(V[i]) / Bc2Sqrt + Eps);
            }
        }
    }
}

/// <summary>
/// AdamW (Loshchilov &amp; Hutter 2019), as torch.optim.AdamW: decoupled weight decay θ ← θ − lr·λ·θ
/// before the Adam step, default λ = 0.01. With <c>decayScaledByLr: false</c> the decay is the paper's
/// original θ ← θ − λ·θ, independent of the learning rate.
/// </summary>
public sealed class AdamW : Adam
{
    public AdamW(IEnumerable<Parameter> parameters, double lr = 1e-3, (double Beta1, double Beta2)? betas = null, double eps = 1e-8, double weightDecay = 0.01, bool amsgrad = false, bool decayScaledByLr = true, double l1Proximal = 0)
        : this(Single(parameters), lr, betas, eps, weightDecay, amsgrad, decayScaledByLr, l1Proximal) { }

    public AdamW(IEnumerable<ParameterGroup> groups, double lr = 1e-3, (double Beta1, double Beta2)? betas = null, double eps = 1e-8, double weightDecay = 0.01, bool amsgrad = false, bool decayScaledByLr = true, double l1Proximal = 0)
        : base(groups, lr, betas, eps, weightDecay, amsgrad, l1Proximal)
    {
        DecayScaledByLr = decayScaledByLr;
        CheckGroups();
    }

    private protected override string? GroupProblem(IReadOnlyDictionary<string, double> group) =>
        !DecayScaledByLr && group.TryGetValue("weight_decay", out var decay) && decay > 1
            ? $"weightDecay must be at most 1 when the decay is not scaled by lr (θ ← θ(1 − λ)), got {decay}"
            : null;

    /// <summary>True (PyTorch): θ ← θ(1 − lr·λ). False (the paper's form): θ ← θ(1 − λ).</summary>
    public bool DecayScaledByLr { get; }

    private protected override bool Decoupled => true;

    private protected override float DecayFactor(double lr, double weightDecay) =>
        (float)(1 - (DecayScaledByLr ? lr : 1) * weightDecay);
}
