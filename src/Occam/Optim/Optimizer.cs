using System.Numerics.Tensors;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using Occam.NN;

namespace Occam.Optim;

/// <summary>
/// Base of the optimizers: parameter groups with per-group hyperparameters, per-parameter state,
/// <see cref="ZeroGrad"/> and <see cref="Step"/>. After each update it applies the proximal L1 step
/// (soft-thresholding θ ← sign(θ)·max(|θ| − lr·λ, 0), which yields exact zeros) when the group's
/// <see cref="ParameterGroup.L1Proximal"/> (by default <see cref="L1Proximal"/>) is set, then the parameter's <see cref="Parameter.Constraint"/> (Keras constraints:
/// max-norm, unit-norm, non-negativity) when it has one.
/// </summary>
public abstract class Optimizer
{
    readonly List<ParameterGroup> _groups;
    private protected readonly Dictionary<Parameter, ParameterState> States = new(ReferenceEqualityComparer.Instance);

    private protected Optimizer(IEnumerable<ParameterGroup> groups, double lr, double weightDecay, double l1Proximal)
    {
        ArgumentNullException.ThrowIfNull(groups);
        _groups = groups.ToList();
        string name = GetType().Name;
        if (_groups.Count == 0 || _groups.All(g => g.Parameters.Count == 0))
            throw new ArgumentException($"{name}: got an empty parameter list");
        CheckNonNegative(name, "lr", lr);
        CheckNonNegative(name, "weightDecay", weightDecay);
        CheckNonNegative(name, "l1Proximal", l1Proximal);
        (_lr, _weightDecay, L1Proximal) = (lr, weightDecay, l1Proximal);
        var seen = new HashSet<Parameter>(ReferenceEqualityComparer.Instance);
        foreach (var g in _groups)
        {
            CheckNewParameters(name, g, seen);
            Configure(g);
        }
    }

    // The defaults a group takes for what it leaves null; momentum and betas only for the optimizers that have them.
    readonly double _lr, _weightDecay;
    double? _momentum;
    (double Beta1, double Beta2)? _betas;

    /// <summary>Throws unless <paramref name="group"/>'s parameters are new to <paramref name="seen"/> (to which it adds
    /// them): as torch, a parameter may be in one group only.</summary>
    static void CheckNewParameters(string op, ParameterGroup group, HashSet<Parameter> seen)
    {
        var own = new HashSet<Parameter>(ReferenceEqualityComparer.Instance);
        foreach (var p in group.Parameters)
        {
            if (!own.Add(p)) throw new ArgumentException($"{op}: a parameter of shape {Shape.Format(p.Shape)} appears twice in group '{group.Name}'");
            if (!seen.Add(p)) throw new ArgumentException($"{op}: a parameter of shape {Shape.Format(p.Shape)} appears in more than one group (group '{group.Name}')");
        }
    }

    /// <summary>Gives <paramref name="g"/> the optimizer's default for every hyperparameter it leaves null and checks
    /// them, naming the group.</summary>
    void Configure(ParameterGroup g)
    {
        string name = GetType().Name;
        g.Lr ??= _lr;
        g.WeightDecay ??= _weightDecay;
        g.L1Proximal ??= L1Proximal;
        CheckNonNegative(name, $"lr of group '{g.Name}'", g.Lr.Value);
        CheckNonNegative(name, $"weightDecay of group '{g.Name}'", g.WeightDecay.Value);
        CheckNonNegative(name, $"l1Proximal of group '{g.Name}'", g.L1Proximal.Value);
        if (_momentum is double momentum)
        {
            g.Momentum ??= momentum;
            CheckNonNegative(name, $"momentum of group '{g.Name}'", g.Momentum.Value);
        }
        if (_betas is { } betas)
        {
            g.Betas ??= betas;
            CheckBetas(name, g.Betas.Value);
        }
    }

    /// <summary>Throws if <see cref="GroupProblem"/> finds one in <paramref name="g"/>.</summary>
    void CheckGroup(string op, ParameterGroup g)
    {
        if (GroupProblem(Hyperparameters(g)) is { } problem) throw new ArgumentException($"{op}: group '{g.Name}': {problem}");
    }

    /// <summary>
    /// Adds a group of parameters to optimize from the next step on, as torch's add_param_group (e.g. layers unfrozen
    /// while fine-tuning): what it leaves null takes the optimizer's defaults, and its parameters get their state
    /// (moments, step count) at their first step. A parameter already in a group is refused. Schedulers built before
    /// take the group on with its lr then as its base.
    /// </summary>
    public void AddParamGroup(ParameterGroup group)
    {
        ArgumentNullException.ThrowIfNull(group);
        string name = $"{GetType().Name}.AddParamGroup";
        if (_groups.Contains(group)) throw new ArgumentException($"{name}: group '{group.Name}' is already in this optimizer");
        var seen = new HashSet<Parameter>(_groups.SelectMany(g => g.Parameters), ReferenceEqualityComparer.Instance);
        CheckNewParameters(name, group, seen);
        Configure(group);
        CheckGroup(name, group);
        _groups.Add(group);
    }

    /// <summary>One group holding all of <paramref name="parameters"/>.</summary>
    private protected static IEnumerable<ParameterGroup> Single(IEnumerable<Parameter> parameters) => [new ParameterGroup(parameters, "all")];

    public IReadOnlyList<ParameterGroup> Groups => _groups;

    /// <summary>λ of the proximal L1 step after each update (0 = off), for the groups that do not set their own
    /// (<see cref="DecayPolicy.ExcludeBiasAndNorm"/>'s "no_decay" group sets 0).</summary>
    public double L1Proximal { get; }

    /// <summary>Maximize the objective instead of minimizing it (PyTorch's maximize=True): each step follows +gradient,
    /// with momentum, adaptive scaling and weight decay as for the negated objective. <c>new SGD(ps, lr: 0.1) { Maximize = true }</c>.</summary>
    public bool Maximize { get; init; }

    /// <summary>Clears every parameter's gradient in place, so no allocation. Lazily: a gradient reads as zeros, and the
    /// next backward overwrites it where an op can (the weight gradient of a linear layer) instead of adding to zeros.
    /// A parameter the next backward does not reach still steps with a zero gradient (weight decay, momentum), as
    /// torch 1.13's default; with <paramref name="setToNone"/> its gradient becomes null and the step skips it (torch's
    /// set_to_none=True, PyTorch 2's default).</summary>
    public void ZeroGrad(bool setToNone = false)
    {
        foreach (var g in _groups)
            foreach (var p in g.Parameters)
                if (setToNone) p.Grad = null;
                else p.ZeroGradLazily();
    }

    /// <summary>Updates every parameter that has a gradient.</summary>
    public void Step()
    {
        foreach (var group in _groups)
        {
            double lr = group.LrValue, l1 = group.L1Proximal ?? L1Proximal;
            foreach (var p in group.Parameters)
            {
                if (p.Grad == null || !p.RequiresGrad) continue;
                if (!States.TryGetValue(p, out var state)) States[p] = state = new ParameterState();
                state.Step++;
                var grad = p.Grad.Span;
                if (Maximize) TensorPrimitives.Negate(grad, grad); // the step of −objective; the gradient is restored below
                Update(group, p.Span, grad, state);
                if (Maximize) TensorPrimitives.Negate(grad, grad);
                if (l1 > 0) SoftThreshold(p.Span, (float)(lr * l1));
                p.Constraint?.Apply(p);
                p.Storage.Version++; // a graph recorded from the old weights can no longer be differentiated
            }
        }
    }

    /// <summary>Whether <paramref name="key"/> names a per-parameter number of state ("step" aside) rather than a buffer
    /// shaped like the parameter (NAdam's "mu_product").</summary>
    internal virtual bool IsScalarState(string key) => false;

    /// <summary>Why a saved group's hyperparameters cannot drive this optimizer (beyond being finite and non-negative),
    /// or null; the constructor's own checks, for state loaded later.</summary>
    private protected virtual string? GroupProblem(IReadOnlyDictionary<string, double> group) => null;

    /// <summary>The optimizer's rule for one parameter; <paramref name="state"/>.Step is already incremented.</summary>
    private protected abstract void Update(ParameterGroup group, Span<float> p, ReadOnlySpan<float> grad, ParameterState state);

    /// <summary>θ ← sign(θ)·max(|θ| − t, 0), 16 lanes at a time (the scalar loop's branch on the sign was 5–6 % of a
    /// default study, whose L1 runs threshold every weight each step); a weight that reaches zero is +0, as in the
    /// scalar rule, which the remainder runs.</summary>
    internal static void SoftThreshold(Span<float> p, float t)
    {
        int i = 0;
        if (Kernels.Simd.Wide)
        {
            ref float start = ref MemoryMarshal.GetReference(p);
            var threshold = Vector512.Create(t);
            for (; i + 16 <= p.Length; i += 16)
            {
                var v = Vector512.LoadUnsafe(ref start, (nuint)i);
                var a = Vector512.Abs(v) - threshold;
                Vector512.ConditionalSelect(Vector512.GreaterThan(a, Vector512<float>.Zero), Vector512.CopySign(a, v), Vector512<float>.Zero)
                    .StoreUnsafe(ref start, (nuint)i);
            }
        }
        for (; i < p.Length; i++)
        {
            float v = p[i], a = MathF.Abs(v) - t;
            p[i] = a > 0 ? MathF.CopySign(a, v) : 0f;
        }
    }

    private protected static void CheckNonNegative(string op, string what, double value)
    {
        if (!(value >= 0)) throw new ArgumentException($"{op}: {what} must be non-negative, got {value}");
        if (double.IsInfinity(value)) throw new ArgumentException($"{op}: {what} must be finite, got {value}");
    }

    static void CheckBetas(string op, (double Beta1, double Beta2) betas)
    {
        if (!(betas.Beta1 >= 0 && betas.Beta1 < 1) || !(betas.Beta2 >= 0 && betas.Beta2 < 1))
            throw new ArgumentException($"{op}: betas must be in [0, 1), got ({betas.Beta1}, {betas.Beta2})");
    }

    /// <summary>Makes <paramref name="momentum"/> the default of the groups (those built and added later) that set none,
    /// and checks every group's; for the optimizers with momentum.</summary>
    private protected void DefaultMomentum(double momentum)
    {
        CheckNonNegative(GetType().Name, "momentum", momentum);
        _momentum = momentum;
        foreach (var g in Groups) Configure(g);
    }

    /// <summary>Makes <paramref name="betas"/> (null: (0.9, 0.999), the Adam family's) the default of the groups
    /// (those built and added later) that set none, and checks every group's.</summary>
    private protected void DefaultBetas((double Beta1, double Beta2)? betas)
    {
        _betas = betas ?? (0.9, 0.999);
        foreach (var g in Groups) Configure(g);
    }

    /// <summary>Checks every group against <see cref="GroupProblem"/>; at the end of the constructors that override it
    /// (it may read their settings).</summary>
    private protected void CheckGroups()
    {
        foreach (var g in Groups) CheckGroup(GetType().Name, g);
    }

    // ------------------------------------------------------------ state

    /// <summary>The group hyperparameters every saved state has; "momentum", "beta1"/"beta2" and "l1_proximal" are saved
    /// where a group has them (schedulers such as OneCycleLR move the first two) and restored when present.</summary>
    internal static readonly string[] RequiredGroupKeys = ["lr", "initial_lr", "weight_decay"];

    /// <summary>Per-parameter state (by parameter index across groups, as PyTorch) and group hyperparameters.</summary>
    public OptimizerState StateDict()
    {
        var state = new Dictionary<int, Dictionary<string, Tensor>>();
        int index = 0;
        foreach (var g in _groups)
            foreach (var p in g.Parameters)
            {
                if (States.TryGetValue(p, out var s))
                {
                    var entry = s.Buffers.ToDictionary(b => b.Key, b => Tensor.FromArray((float[])b.Value.Clone(), p.Shape));
                    foreach (var (key, value) in s.Scalars) entry[key] = Tensor.Scalar((float)value);
                    entry["step"] = Tensor.Scalar(s.Step);
                    state[index] = entry;
                }
                index++;
            }
        return new OptimizerState(state, _groups.Select(Hyperparameters).ToList());
    }

    /// <summary>A group's hyperparameters as saved: <see cref="RequiredGroupKeys"/> and those it has.</summary>
    static Dictionary<string, double> Hyperparameters(ParameterGroup g)
    {
        var d = new Dictionary<string, double> { ["lr"] = g.LrValue, ["initial_lr"] = g.InitialLr, ["weight_decay"] = g.WeightDecay ?? 0 };
        if (g.Momentum is double m) d["momentum"] = m;
        if (g.Betas is { } betas) (d["beta1"], d["beta2"]) = betas;
        if (g.L1Proximal is double l1) d["l1_proximal"] = l1;
        return d;
    }

    /// <summary>Restores state saved by <see cref="StateDict"/> from an optimizer over parameters of the same shapes.
    /// Checks everything before changing anything.</summary>
    public void LoadStateDict(OptimizerState saved)
    {
        CheckStateDict(saved);
        var all = _groups.SelectMany(g => g.Parameters).ToList();
        States.Clear();
        foreach (var (i, entry) in saved.State)
        {
            var s = new ParameterState { Step = (long)entry["step"].Item() };
            foreach (var (key, t) in entry)
                if (IsScalarState(key)) s.Scalars[key] = t.Item();
                else if (key != "step") s.Buffers[key] = t.ToArray();
            States[all[i]] = s;
        }
        for (int g = 0; g < _groups.Count; g++)
        {
            var d = saved.Groups[g];
            _groups[g].Lr = d["lr"];
            _groups[g].InitialLr = d["initial_lr"];
            _groups[g].WeightDecay = d["weight_decay"];
            if (d.TryGetValue("momentum", out var m)) _groups[g].Momentum = m;
            if (d.TryGetValue("beta1", out var b1)) _groups[g].Betas = (b1, d["beta2"]);
            if (d.TryGetValue("l1_proximal", out var l1)) _groups[g].L1Proximal = l1;
        }
    }

    /// <summary>Throws, naming the problem, unless <see cref="LoadStateDict"/> can restore <paramref name="saved"/>;
    /// changes nothing.</summary>
    internal void CheckStateDict(OptimizerState saved)
    {
        ArgumentNullException.ThrowIfNull(saved);
        string name = GetType().Name;
        if (saved.Groups == null || saved.State == null) throw new ArgumentException($"{name}.LoadStateDict: the saved state needs its groups and its per-parameter state");
        if (saved.Groups.Count != _groups.Count)
            throw new ArgumentException($"{name}.LoadStateDict: saved state has {saved.Groups.Count} parameter groups, this optimizer {_groups.Count}");
        for (int g = 0; g < saved.Groups.Count; g++)
        {
            var d = saved.Groups[g] ?? throw new ArgumentException($"{name}.LoadStateDict: group {g} is null");
            foreach (var key in RequiredGroupKeys)
                if (!d.ContainsKey(key)) throw new ArgumentException($"{name}.LoadStateDict: group {g} lacks '{key}'");
            foreach (var (key, value) in d)
                if (!(value >= 0 && double.IsFinite(value)) || key.StartsWith("beta", StringComparison.Ordinal) && !(value < 1))
                    throw new ArgumentException($"{name}.LoadStateDict: group {g}'s '{key}' must be finite and non-negative{(key.StartsWith("beta", StringComparison.Ordinal) ? " and below 1" : "")}, got {value}");
            if (d.ContainsKey("beta1") != d.ContainsKey("beta2")) throw new ArgumentException($"{name}.LoadStateDict: group {g} has one of 'beta1' and 'beta2' without the other");
            if (GroupProblem(d) is { } problem) throw new ArgumentException($"{name}.LoadStateDict: group {g}: {problem}");
        }
        var all = _groups.SelectMany(g => g.Parameters).ToList();
        foreach (var (i, entry) in saved.State)
        {
            if (i < 0 || i >= all.Count) throw new ArgumentException($"{name}.LoadStateDict: state for parameter {i}, but there are {all.Count}");
            foreach (var (key, t) in entry)
                if (IsScalarState(key) ? t.Size != 1 : key != "step" && t.Size != all[i].Size)
                    throw new ArgumentException($"{name}.LoadStateDict: '{key}' of parameter {i} has shape {Shape.Format(t.Shape)}, the parameter {Shape.Format(all[i].Shape)}");
            // The step is stored as a float32 (exact up to 2^24 steps, and Adam's bias correction has long saturated by then).
            if (!entry.TryGetValue("step", out var step) || step.Size != 1 || step.Item() is var v && !(v >= 0 && v <= long.MaxValue && v == MathF.Floor(v)))
                throw new ArgumentException($"{name}.LoadStateDict: the step of parameter {i} must be one whole number from 0, got {(entry.TryGetValue("step", out var bad) ? string.Join(", ", bad.ToArray()) : "none")}");
        }
    }
}

/// <summary>What an optimizer keeps per parameter: a step count, named buffers (momentum, moments) and named numbers.</summary>
internal sealed class ParameterState
{
    public long Step;
    public readonly Dictionary<string, float[]> Buffers = [];
    public readonly Dictionary<string, double> Scalars = [];

    /// <summary>The named buffer, created zero-filled at <paramref name="length"/> on first use.</summary>
    public float[] Buffer(string name, int length)
    {
        if (!Buffers.TryGetValue(name, out var b)) Buffers[name] = b = new float[length];
        return b;
    }
}

/// <summary>A saved optimizer state: per-parameter buffers by index and per-group hyperparameters.</summary>
public sealed record OptimizerState(Dictionary<int, Dictionary<string, Tensor>> State, List<Dictionary<string, double>> Groups);
