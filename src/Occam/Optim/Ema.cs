using Occam.NN;

namespace Occam.Optim;

/// <summary>
/// Exponential moving average of a model's weights (Polyak averaging; timm's ModelEmaV2 for the parameters):
/// after each optimizer step, θ̄ ← d·θ̄ + (1 − d)·θ for every parameter, and buffers (running statistics)
/// are copied from the live model, not averaged as ModelEmaV2 averages its whole state dict (torch's AveragedModel
/// with use_buffers=False keeps them apart too; <see cref="Swa.UpdateBatchNorm"/> recomputes them for the averaged
/// weights). Evaluate with the averaged weights through <see cref="CopyTo"/>. With
/// <c>warmup: true</c> the decay is min(d, (1 + t)/(10 + t)) at update t, as TensorFlow's ExponentialMovingAverage
/// with num_updates, so early averages are not dominated by the initial weights.
/// </summary>
public sealed class Ema
{
    readonly List<(string Name, Tensor Source, float[] Average)> _parameters;
    readonly List<(string Name, Tensor Source, float[] Copy)> _buffers;

    public Ema(Module model, double decay = 0.999, bool warmup = false)
    {
        ArgumentNullException.ThrowIfNull(model);
        if (!(decay >= 0 && decay <= 1)) throw new ArgumentException($"Ema: decay must be in [0, 1], got {decay}");
        Decay = decay;
        Warmup = warmup;
        _parameters = model.NamedParameters().Select(p => (p.Name, (Tensor)p.Parameter, p.Parameter.ToArray())).ToList();
        _buffers = model.NamedBuffers().Select(b => (b.Name, b.Buffer, b.Buffer.ToArray())).ToList();
    }

    public double Decay { get; }
    public bool Warmup { get; }

    /// <summary>Updates applied so far.</summary>
    public long Updates { get; private set; }

    /// <summary>The decay used by the next update.</summary>
    public double CurrentDecay => Warmup ? Math.Min(Decay, (1.0 + Updates) / (10.0 + Updates)) : Decay;

    /// <summary>Folds the model's current weights into the average (call after each optimizer step).</summary>
    public void Update()
    {
        float d = (float)CurrentDecay;
        foreach (var (_, source, average) in _parameters)
        {
            var s = source.Span;
            for (int i = 0; i < average.Length; i++) average[i] = d * average[i] + (1 - d) * s[i];
        }
        foreach (var (_, source, copy) in _buffers) source.Span.CopyTo(copy);
        Updates++;
    }

    /// <summary>Writes the averaged weights (and copied buffers) into <paramref name="target"/>, a module of the same
    /// architecture — the tracked model itself, or a second instance kept for evaluation.</summary>
    public void CopyTo(Module target) => (target ?? throw new ArgumentNullException(nameof(target))).LoadStateDict(StateDict());

    /// <summary>Why <paramref name="state"/> (names and shapes as <see cref="StateDict"/>'s) cannot replace this average's,
    /// or null when it can.</summary>
    internal string? Misfit(IReadOnlyDictionary<string, Tensor> state)
    {
        var expected = _parameters.Select(p => (p.Name, p.Source)).Concat(_buffers.Select(b => (b.Name, b.Source))).ToList();
        var missing = expected.Where(e => !state.ContainsKey(e.Name)).Select(e => e.Name).ToList();
        var unexpected = state.Keys.Except(expected.Select(e => e.Name)).Order(StringComparer.Ordinal).ToList();
        if (missing.Count > 0 || unexpected.Count > 0)
            return $"the averaged weights do not fit the model: missing [{string.Join(", ", missing)}], unexpected [{string.Join(", ", unexpected)}]";
        foreach (var (name, source) in expected)
            if (!state[name].ShapeRef.SequenceEqual(source.ShapeRef))
                return $"the average of '{name}' has shape {Shape.Format(state[name].ShapeRef)}, the model's {Shape.Format(source.ShapeRef)}";
        return null;
    }

    /// <summary>Continues from a saved average: <paramref name="state"/> as <see cref="StateDict"/> gives it (checked by
    /// <see cref="Misfit"/>) after <paramref name="updates"/> updates.</summary>
    internal void Restore(IReadOnlyDictionary<string, Tensor> state, long updates)
    {
        if (Misfit(state) is string why) throw new ArgumentException($"Ema: {why}");
        if (updates < 0) throw new ArgumentException($"Ema: updates must be non-negative, got {updates}");
        foreach (var (name, _, average) in _parameters) state[name].Span.CopyTo(average);
        foreach (var (name, _, copy) in _buffers) state[name].Span.CopyTo(copy);
        Updates = updates;
    }

    /// <summary>The averaged weights and buffers by dotted name.</summary>
    public Dictionary<string, Tensor> StateDict()
    {
        var state = new Dictionary<string, Tensor>();
        foreach (var (name, source, average) in _parameters) state[name] = Tensor.FromArray(average, source.Shape);
        foreach (var (name, source, copy) in _buffers) state[name] = Tensor.FromArray(copy, source.Shape);
        return state;
    }
}

/// <summary>
/// Stochastic weight averaging (Izmailov et al. 2018), as torch.optim.swa_utils.AveragedModel with its
/// default equal-weight average: after n updates θ̄ = (1/n)·Σθᵢ, i.e. θ̄ ← θ̄ + (θ − θ̄)/(n + 1).
/// Copy the average into a model with <see cref="CopyTo"/>, then recompute batch-norm statistics for
/// the averaged weights with <see cref="Swa.UpdateBatchNorm"/>.
/// </summary>
public sealed class AveragedModel
{
    readonly List<(string Name, Tensor Source, float[] Average)> _parameters;

    public AveragedModel(Module model)
    {
        ArgumentNullException.ThrowIfNull(model);
        _parameters = model.NamedParameters().Select(p => (p.Name, (Tensor)p.Parameter, new float[p.Parameter.Size])).ToList();
    }

    /// <summary>Models averaged so far.</summary>
    public long Count { get; private set; }

    /// <summary>Adds the model's current weights to the average.</summary>
    public void Update()
    {
        float weight = 1f / (Count + 1);
        foreach (var (_, source, average) in _parameters)
        {
            var s = source.Span;
            for (int i = 0; i < average.Length; i++) average[i] += (s[i] - average[i]) * weight;
        }
        Count++;
    }

    /// <summary>Writes the averaged parameters into <paramref name="target"/> (buffers are left as they are).</summary>
    public void CopyTo(Module target)
    {
        ArgumentNullException.ThrowIfNull(target);
        if (Count == 0) throw new InvalidOperationException("AveragedModel: no model has been averaged yet; call Update() first");
        var state = _parameters.ToDictionary(p => p.Name, p => Tensor.FromArray(p.Average, p.Source.Shape));
        target.LoadStateDict(state, strict: false);
    }
}

/// <summary>SWA utilities (torch.optim.swa_utils).</summary>
public static class Swa
{
    /// <summary>
    /// Recomputes every batch-norm layer's running statistics for the model's current (e.g. averaged) weights,
    /// as torch.optim.swa_utils.update_bn: running statistics are reset, momentum is set to a cumulative average,
    /// one pass of training-mode forwards runs over <paramref name="inputs"/> without gradients, then momentum and
    /// modes are restored.
    /// </summary>
    public static void UpdateBatchNorm(IEnumerable<Tensor> inputs, Module model)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        ArgumentNullException.ThrowIfNull(model);
        var norms = model.NamedModules().Select(m => m.Module).OfType<BatchNormBase>().Where(b => b.TrackRunningStats).ToList();
        if (norms.Count == 0) return;
        var momenta = norms.Select(b => b.Momentum).ToList();
        var modes = model.NamedModules().Select(m => (m.Module, m.Module.IsTraining)).ToList();
        try
        {
            foreach (var b in norms) { b.ResetRunningStats(); b.Momentum = null; }
            model.Train();
            using var _ = Autograd.NoGrad();
            foreach (var x in inputs) model.Forward(x);
        }
        finally
        {
            for (int i = 0; i < norms.Count; i++) norms[i].Momentum = momenta[i];
            foreach (var (module, training) in modes) module.SetModeOnly(training);
        }
    }
}
