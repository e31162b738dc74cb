using Occam.Regularizers;

namespace Occam.NN;

/// <summary>
/// Base of every layer and model, as torch.nn.Module: it owns parameters, buffers (state such as
/// running statistics, which is saved but not trained) and child modules, all listed recursively
/// with PyTorch's dotted names ("0.weight", "3.running_mean"), and a training mode that
/// <see cref="Train"/> and <see cref="Eval"/> set on the whole tree.
/// </summary>
public abstract class Module
{
    readonly List<KeyValuePair<string, Parameter?>> _parameters = [];
    readonly List<KeyValuePair<string, Tensor?>> _buffers = [];
    readonly List<KeyValuePair<string, Module>> _children = [];
    readonly List<Tensor> _activityPenalties = [];

    /// <summary>True in training mode (the default), false in evaluation mode.</summary>
    public bool IsTraining { get; private set; } = true;

    /// <summary>The computation.</summary>
    public abstract Tensor Forward(Tensor input);

    /// <summary>Shorthand for <see cref="Forward"/>.</summary>
    public Tensor Call(Tensor input) => Forward(input);

    /// <summary>Sets training mode (or evaluation mode when false) on this module and every descendant.</summary>
    public Module Train(bool training = true)
    {
        IsTraining = training;
        foreach (var (_, child) in _children) child.Train(training);
        OnModeChanged();
        return this;
    }

    /// <summary>Sets this module's mode without touching its children.</summary>
    internal void SetModeOnly(bool training)
    {
        IsTraining = training;
        OnModeChanged();
    }

    /// <summary>Evaluation mode: dropout off, normalization on running statistics.</summary>
    public Module Eval() => Train(false);

    /// <summary>Called after the mode changed (for modules whose behaviour depends on it beyond IsTraining).</summary>
    protected virtual void OnModeChanged() { }

    /// <summary>A layer's forward on a batch, or on an unbatched input of rank <paramref name="unbatchedRank"/> (a
    /// [C, H, W] image for 2-D layers, an [in] sample for Linear) as a batch of one with the batch dimension dropped
    /// again, as PyTorch's layers take both.
    /// A rank-1 sample (Linear) also comes with any number of leading dims; an image layer takes only the two ranks, and
    /// says so naming itself (as PyTorch's "Expected 3D (unbatched) or 4D (batched) input").</summary>
    private protected Tensor Unbatched(Tensor input, Func<Tensor, Tensor> forward, int unbatchedRank = 3)
    {
        int rank = Checked(input).Rank;
        if (unbatchedRank > 1 && rank != unbatchedRank && rank != unbatchedRank + 1)
            throw new ArgumentException($"{GetType().Name}: expected a {unbatchedRank}-D (unbatched) or {unbatchedRank + 1}-D (batched) input, got shape {Shape.Format(input.ShapeRef)}");
        return rank == unbatchedRank ? forward(input.Unsqueeze(0)).Squeeze(0) : forward(input);
    }

    /// <summary><paramref name="input"/>, or an <see cref="ArgumentNullException"/> naming this layer when it is null
    /// (a forward's first step, so a missing input is not reported from somewhere inside it).</summary>
    protected Tensor Checked(Tensor input) =>
        input ?? throw new ArgumentNullException(nameof(input), $"{GetType().Name}.Forward: the input is null");

    // ------------------------------------------------------------ activity penalties

    /// <summary>Returns <paramref name="output"/>; in training mode with gradients on, first records
    /// <paramref name="regularizer"/>(output) for <see cref="Regularization.Penalty"/> to collect. Keras 3's activity
    /// regularizer: the penalty of the whole output, as it is (tf.keras 2 divided it by the batch size; Keras 3 and
    /// Occam do not, so the penalty grows with the batch).</summary>
    protected Tensor RecordActivity(Tensor output, Regularizer? regularizer)
    {
        if (regularizer != null && IsTraining && Autograd.IsEnabled) _activityPenalties.Add(regularizer.Penalty(output));
        return output;
    }

    /// <summary>This module's activity penalties recorded since the last call, which clears them.</summary>
    internal Tensor[] TakeActivityPenalties()
    {
        if (_activityPenalties.Count == 0) return [];
        var taken = _activityPenalties.ToArray();
        _activityPenalties.Clear();
        return taken;
    }

    // ------------------------------------------------------------ registration

    protected Parameter? RegisterParameter(string name, Parameter? parameter)
    {
        CheckName(name);
        _parameters.Add(new(name, parameter));
        return parameter;
    }

    protected Tensor? RegisterBuffer(string name, Tensor? buffer)
    {
        CheckName(name);
        _buffers.Add(new(name, buffer));
        return buffer;
    }

    protected T RegisterModule<T>(string name, T module) where T : Module
    {
        ArgumentNullException.ThrowIfNull(module);
        CheckName(name);
        _children.Add(new(name, module));
        return module;
    }

    /// <summary>Replaces a registered buffer's tensor (e.g. running statistics).</summary>
    protected void SetBuffer(string name, Tensor value)
    {
        int i = _buffers.FindIndex(b => b.Key == name);
        if (i < 0) throw new ArgumentException($"{GetType().Name}: no buffer named '{name}'");
        _buffers[i] = new(name, value);
    }

    void CheckName(string name)
    {
        if (string.IsNullOrEmpty(name) || name.Contains('.'))
            throw new ArgumentException($"{GetType().Name}: invalid member name '{name}' (non-empty, no dots)");
        if (_parameters.Any(p => p.Key == name) || _buffers.Any(b => b.Key == name) || _children.Any(c => c.Key == name))
            throw new ArgumentException($"{GetType().Name}: a member named '{name}' is already registered");
    }

    // ------------------------------------------------------------ listing

    /// <summary>Direct children with their names.</summary>
    public IEnumerable<(string Name, Module Module)> NamedChildren() => _children.Select(c => (c.Key, c.Value));

    public IEnumerable<Module> Children() => _children.Select(c => c.Value);

    /// <summary>This module and every descendant, depth first, with dotted names ("" for this one); a module registered
    /// under several names is listed once, under the first (as PyTorch's named_modules).</summary>
    public IEnumerable<(string Name, Module Module)> NamedModules(string prefix = "") =>
        Walk(prefix, new HashSet<Module>(ReferenceEqualityComparer.Instance));

    IEnumerable<(string Name, Module Module)> Walk(string prefix, HashSet<Module> seen)
    {
        if (!seen.Add(this)) yield break;
        yield return (prefix, this);
        foreach (var (name, child) in _children)
            foreach (var m in child.Walk(Join(prefix, name), seen)) yield return m;
    }

    /// <summary>Every parameter of the tree with its dotted name, each once.</summary>
    public IEnumerable<(string Name, Parameter Parameter)> NamedParameters()
    {
        var seen = new HashSet<Parameter>(ReferenceEqualityComparer.Instance);
        foreach (var (prefix, module) in NamedModules())
            foreach (var (name, p) in module._parameters)
                if (p != null && seen.Add(p)) yield return (Join(prefix, name), p);
    }

    public IEnumerable<Parameter> Parameters() => NamedParameters().Select(p => p.Parameter);

    /// <summary>Every buffer of the tree with its dotted name, each once.</summary>
    public IEnumerable<(string Name, Tensor Buffer)> NamedBuffers()
    {
        var seen = new HashSet<Tensor>(ReferenceEqualityComparer.Instance);
        foreach (var (prefix, module) in NamedModules())
            foreach (var (name, b) in module._buffers)
                if (b != null && seen.Add(b)) yield return (Join(prefix, name), b);
    }

    /// <summary>Freezes every parameter of this module and its descendants: no gradient is computed for them,
    /// optimizers skip them (no update, no decay), and the decay audit shows them as frozen. Returns this module.</summary>
    public Module Freeze()
    {
        foreach (var p in Parameters()) { p.RequiresGrad = false; p.Grad = null; }
        return this;
    }

    /// <summary>Makes every parameter of this module and its descendants trainable again. Returns this module.</summary>
    public Module Unfreeze()
    {
        foreach (var p in Parameters()) p.RequiresGrad = true;
        return this;
    }

    /// <summary>Keras's model.summary() for examples of <paramref name="inputShape"/> (no batch dim): each layer's output
    /// shape and parameter count, and the totals (<see cref="ModelSummary"/>).</summary>
    public string Summary(params int[] inputShape) => ModelSummary.Of(this, inputShape);

    /// <summary>Number of parameter elements (trainable only when <paramref name="trainableOnly"/>).</summary>
    public long ParameterCount(bool trainableOnly = false) =>
        Parameters().Where(p => !trainableOnly || p.RequiresGrad).Sum(p => (long)p.Size);

    static string Join(string prefix, string name) => prefix.Length == 0 ? name : prefix + "." + name;

    // ------------------------------------------------------------ state

    /// <summary>Parameters and buffers by dotted name (the tensors themselves, not copies).</summary>
    /// <remarks>As PyTorch's state_dict: module by module, each module's parameters then its buffers, and a tensor or
    /// module registered under several names (tied weights) under every one of them.</remarks>
    public Dictionary<string, Tensor> StateDict()
    {
        var state = new Dictionary<string, Tensor>();
        AddState(state, "");
        return state;
    }

    void AddState(Dictionary<string, Tensor> state, string prefix)
    {
        foreach (var (name, p) in _parameters)
            if (p != null) state[Join(prefix, name)] = p;
        foreach (var (name, b) in _buffers)
            if (b != null) state[Join(prefix, name)] = b;
        foreach (var (name, child) in _children) child.AddState(state, Join(prefix, name));
    }

    /// <summary>Copies values from <paramref name="state"/> into this module's parameters and buffers.
    /// Strict (the default): every key must match and nothing may be missing, except a normalization layer's
    /// "num_batches_tracked", which then loads as 0 (PyTorch's rule for a dict without version metadata; not strict, it is
    /// left as it is and listed as missing). Shapes must always match.
    /// Nothing is written unless everything checks out. Returns the missing and unexpected keys.</summary>
    public (List<string> Missing, List<string> Unexpected) LoadStateDict(IReadOnlyDictionary<string, Tensor> state, bool strict = true)
    {
        ArgumentNullException.ThrowIfNull(state);
        var (matched, missing, unexpected) = Match(state, strict);
        if (strict && (missing.Count > 0 || unexpected.Count > 0))
            throw new ArgumentException($"LoadStateDict: missing keys [{string.Join(", ", missing)}], unexpected keys [{string.Join(", ", unexpected)}]");
        foreach (var (name, target, source) in matched)
            if (!source.ShapeRef.SequenceEqual(target.ShapeRef))
                throw new ArgumentException($"LoadStateDict: '{name}' has shape {Shape.Format(source.ShapeRef)} in the state dict, {Shape.Format(target.ShapeRef)} in the model");
        foreach (var (_, target, source) in matched) target.CopyFrom(source);
        return (missing, unexpected);
    }

    /// <summary>Pairs each of this module's state-dict entries with its value in <paramref name="state"/>: under its own
    /// name, or under another name of the same tensor (a tied weight saved once, as PyTorch's safetensors saves it, or by
    /// <see cref="NamedParameters"/>), or else, when <paramref name="strict"/>, the value its module supplies for an absent
    /// buffer (<see cref="ValueWhenMissing"/>; a non-strict load leaves such a buffer as it is, e.g. AveragedModel's copy of
    /// the parameters alone). An entry with none is missing; a key naming nothing here is unexpected.</summary>
    internal (List<(string Name, Tensor Target, Tensor Source)> Matched, List<string> Missing, List<string> Unexpected) Match(IReadOnlyDictionary<string, Tensor> state,
        bool strict)
    {
        var own = StateDict();
        var names = own.ToLookup(kv => kv.Value, kv => kv.Key, ReferenceEqualityComparer.Instance);
        var fills = new Dictionary<string, Tensor>();
        if (strict) AddFills(fills, "");
        var matched = new List<(string, Tensor, Tensor)>();
        var missing = new List<string>();
        foreach (var (name, target) in own)
        {
            var source = state.TryGetValue(name, out var exact) ? exact
                : names[target].Select(alias => state.TryGetValue(alias, out var t) ? t : null).FirstOrDefault(t => t != null)
                ?? fills.GetValueOrDefault(name);
            if (source != null) matched.Add((name, target, source));
            else missing.Add(name);
        }
        return (matched, missing, state.Keys.Where(k => !own.ContainsKey(k)).ToList());
    }

    void AddFills(Dictionary<string, Tensor> fills, string prefix)
    {
        foreach (var (name, b) in _buffers)
            if (b != null && ValueWhenMissing(name) is { } value) fills[Join(prefix, name)] = value;
        foreach (var (name, child) in _children) child.AddFills(fills, Join(prefix, name));
    }

    /// <summary>The value a state dict without buffer <paramref name="name"/> loads into it, or null when the buffer is
    /// required (the default).</summary>
    private protected virtual Tensor? ValueWhenMissing(string name) => null;

    public override string ToString() => ToString(0);

    string ToString(int indent)
    {
        if (_children.Count == 0) return Describe();
        var pad = new string(' ', indent + 2);
        var lines = _children.Select(c => $"{pad}({c.Key}): {c.Value.ToString(indent + 2)}");
        return $"{GetType().Name}(\n{string.Join("\n", lines)}\n{new string(' ', indent)})";
    }

    /// <summary>One-line description with the configuration, e.g. "Linear(in=784, out=512, bias=True)".</summary>
    protected virtual string Describe() => GetType().Name + "()";
}
