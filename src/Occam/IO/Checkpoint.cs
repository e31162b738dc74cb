using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;
using Occam.NN;
using Occam.Optim;

namespace Occam.IO;

/// <summary>
/// A model, and optionally its optimizer, in one safetensors file. The model's state dict is stored under its
/// dotted names ("0.weight", "1.running_mean"), so a PyTorch <c>model.state_dict()</c> written with
/// <c>safetensors.torch.save_file</c> loads into the same architecture built in Occam, and back. The optimizer's
/// per-parameter state goes under <c>optimizer.state.{index}.{key}</c> (index as in PyTorch: across groups, in
/// order) and its type and group hyperparameters, as JSON, under the metadata key <see cref="OptimizerKey"/>.
/// Saving is atomic; loading checks names and shapes of everything before it writes anything.
/// </summary>
public static class Checkpoint
{
    /// <summary>The metadata key holding the optimizer's type and group hyperparameters.</summary>
    public const string OptimizerKey = "occam.optimizer";

    /// <summary>The prefix of the optimizer's state tensors.</summary>
    public const string OptimizerPrefix = "optimizer.state.";

    /// <summary>The metadata key holding a weight average's settings and update count (JSON).</summary>
    public const string EmaKey = "occam.ema";

    /// <summary>The prefix of a weight average's tensors: "ema." + the model's dotted name.</summary>
    public const string EmaPrefix = "ema.";

    /// <summary>Whether <paramref name="name"/> is one of the optimizer's or the weight average's tensors, not the model's.</summary>
    public static bool IsTrainingState(string name) =>
        name.StartsWith(OptimizerPrefix, StringComparison.Ordinal) || name.StartsWith(EmaPrefix, StringComparison.Ordinal);

    /// <summary>Writes <paramref name="model"/>'s parameters and buffers, <paramref name="optimizer"/>'s state when given,
    /// <paramref name="ema"/>'s averaged weights when given (under <see cref="EmaPrefix"/>, with its decay and update count
    /// under <see cref="EmaKey"/>), and <paramref name="metadata"/> (string pairs of your own, e.g. the epoch) to
    /// <paramref name="path"/>.</summary>
    public static void Save(string path, Module model, Optimizer? optimizer = null, IReadOnlyDictionary<string, string>? metadata = null, Ema? ema = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        var tensors = model.StateDict();
        var meta = new Dictionary<string, string>();
        if (metadata != null)
            foreach (var (key, value) in metadata)
            {
                if (key is OptimizerKey or EmaKey) throw new ArgumentException($"Checkpoint.Save: the metadata key '{key}' is reserved for the {(key == OptimizerKey ? "optimizer" : "weight average")}");
                meta[key] = value;
            }
        foreach (var (prefix, what) in new[] { (optimizer != null ? OptimizerPrefix : null, "the optimizer's state"), (ema != null ? EmaPrefix : null, "the weight average") })
            if (prefix != null && tensors.Keys.FirstOrDefault(k => k.StartsWith(prefix, StringComparison.Ordinal)) is string clash)
                throw new ArgumentException($"Checkpoint.Save: the model's '{clash}' collides with the names of {what} ('{prefix}…')");
        if (ema != null)
        {
            foreach (var (name, tensor) in ema.StateDict()) tensors[EmaPrefix + name] = tensor;
            meta[EmaKey] = JsonSerializer.Serialize(new EmaMetadata(ema.Decay, ema.Warmup, ema.Updates));
        }
        if (optimizer != null)
        {
            var state = optimizer.StateDict();
            foreach (var (index, entry) in state.State)
                foreach (var (key, tensor) in entry)
                    tensors[$"{OptimizerPrefix}{index.ToString(CultureInfo.InvariantCulture)}.{key}"] = tensor;
            meta[OptimizerKey] = JsonSerializer.Serialize(new OptimizerMetadata(optimizer.GetType().Name, state.Groups));
        }
        Safetensors.Save(path, tensors, meta.Count > 0 ? meta : null);
    }

    /// <summary>Loads <paramref name="path"/> into <paramref name="model"/> and, when given, <paramref name="optimizer"/>.
    /// Strict (the default): the file's model tensors and the model's state dict must have the same names; shapes must
    /// always match. Nothing is written unless everything checks out. Returns your metadata and, when not strict,
    /// the model's keys missing from the file and the file's keys the model does not have.
    /// <paramref name="ema"/>, when given, continues from the file's weight average (its decay must be the same).</summary>
    public static (Dictionary<string, string> Metadata, List<string> Missing, List<string> Unexpected) Load(
        string path, Module model, Optimizer? optimizer = null, bool strict = true, Ema? ema = null) => Load(path, model, optimizer, strict, check: null, ema);

    /// <summary><see cref="Load(string, Module, Optimizer?, bool, Ema?)"/>, with <paramref name="check"/> run on the metadata
    /// after the file's own checks and before anything is written: whatever it throws leaves the model, optimizer and
    /// weight average as they were.</summary>
    internal static (Dictionary<string, string> Metadata, List<string> Missing, List<string> Unexpected) Load(
        string path, Module model, Optimizer? optimizer, bool strict, Action<Dictionary<string, string>>? check, Ema? ema = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        var (tensors, metadata) = Safetensors.Load(path);
        bool hasOptimizer = metadata.Remove(OptimizerKey, out var optimizerJson);
        bool hasEma = metadata.Remove(EmaKey, out var emaJson);
        var modelState = tensors.Where(t => !(hasOptimizer && t.Key.StartsWith(OptimizerPrefix, StringComparison.Ordinal))
                && !(hasEma && t.Key.StartsWith(EmaPrefix, StringComparison.Ordinal)))
            .ToDictionary(t => t.Key, t => t.Value);

        var (matched, missing, unexpected) = model.Match(modelState, strict);
        unexpected.Sort(StringComparer.Ordinal);
        if (strict && (missing.Count > 0 || unexpected.Count > 0))
            throw new ArgumentException($"Checkpoint: '{path}' does not fit the model: missing keys [{string.Join(", ", missing)}], unexpected keys [{string.Join(", ", unexpected)}]");
        foreach (var (name, target, source) in matched)
            if (!source.ShapeRef.SequenceEqual(target.ShapeRef))
                throw new ArgumentException($"Checkpoint: '{path}': '{name}' has shape {Shape.Format(source.ShapeRef)} in the file, {Shape.Format(target.ShapeRef)} in the model");

        OptimizerState? optimizerState = null;
        if (optimizer != null)
        {
            if (!hasOptimizer) throw new ArgumentException($"Checkpoint: '{path}' holds no optimizer state ('{OptimizerKey}' is not in its metadata)");
            optimizerState = ReadOptimizer(path, optimizer, optimizerJson!, tensors);
            try { optimizer.CheckStateDict(optimizerState); }
            catch (ArgumentException e) { throw new InvalidDataException($"Checkpoint: '{path}': {e.Message}", e); }
        }

        Dictionary<string, Tensor>? average = null;
        long updates = 0;
        if (ema != null)
        {
            if (!hasEma) throw new ArgumentException($"Checkpoint: '{path}' holds no weight average ('{EmaKey}' is not in its metadata)");
            EmaMetadata? saved;
            try { saved = JsonSerializer.Deserialize<EmaMetadata>(emaJson!); }
            catch (JsonException e) { throw new InvalidDataException($"Checkpoint: '{path}': '{EmaKey}' is not valid: {e.Message}"); }
            if (saved == null || !(saved.Updates >= 0)) throw new InvalidDataException($"Checkpoint: '{path}': '{EmaKey}' needs a decay, warmup and a non-negative count of updates");
            if (saved.Decay != ema.Decay || saved.Warmup != ema.Warmup)
                throw new ArgumentException($"Checkpoint: '{path}' holds a weight average of decay {saved.Decay.ToString(CultureInfo.InvariantCulture)}{(saved.Warmup ? " with warm-up" : "")}, the trainer's has decay {ema.Decay.ToString(CultureInfo.InvariantCulture)}{(ema.Warmup ? " with warm-up" : "")}");
            average = tensors.Where(t => t.Key.StartsWith(EmaPrefix, StringComparison.Ordinal)).ToDictionary(t => t.Key[EmaPrefix.Length..], t => t.Value);
            if (ema.Misfit(average) is string why) throw new ArgumentException($"Checkpoint: '{path}': {why}");
            updates = saved.Updates;
        }

        check?.Invoke(metadata);
        model.LoadStateDict(modelState, strict);
        if (optimizerState != null) optimizer!.LoadStateDict(optimizerState);
        if (average != null) ema!.Restore(average, updates);
        return (metadata, missing, unexpected);
    }

    sealed record EmaMetadata(
        [property: JsonPropertyName("decay")] double Decay,
        [property: JsonPropertyName("warmup")] bool Warmup,
        [property: JsonPropertyName("updates")] long Updates);

    sealed record OptimizerMetadata(
        [property: JsonPropertyName("type")] string Type,
        [property: JsonPropertyName("param_groups")] List<Dictionary<string, double>> Groups);

    /// <summary>The optimizer state in the file, checked against <paramref name="optimizer"/>: type, groups, parameter
    /// indices, and every buffer's shape.</summary>
    static OptimizerState ReadOptimizer(string path, Optimizer optimizer, string json, Dictionary<string, Tensor> tensors)
    {
        OptimizerMetadata? saved;
        try { saved = JsonSerializer.Deserialize<OptimizerMetadata>(json); }
        catch (JsonException e) { throw new InvalidDataException($"Checkpoint: '{path}': '{OptimizerKey}' is not valid: {e.Message}"); }
        if (saved?.Type == null || saved.Groups == null || saved.Groups.Any(g => g == null))
            throw new InvalidDataException($"Checkpoint: '{path}': '{OptimizerKey}' needs a type and a list of groups");

        string type = optimizer.GetType().Name;
        if (saved.Type != type) throw new ArgumentException($"Checkpoint: '{path}' holds {saved.Type} state, the optimizer is {type}");
        var current = optimizer.StateDict().Groups;
        if (saved.Groups.Count != current.Count)
            throw new ArgumentException($"Checkpoint: '{path}' holds {saved.Groups.Count} parameter groups, the optimizer has {current.Count}");
        for (int g = 0; g < current.Count; g++)
        {
            var lacking = Optimizer.RequiredGroupKeys.Where(k => !saved.Groups[g].ContainsKey(k)).ToList();
            if (lacking.Count > 0) throw new InvalidDataException($"Checkpoint: '{path}': group {g} lacks [{string.Join(", ", lacking)}]");
        }

        var parameters = optimizer.Groups.SelectMany(g => g.Parameters).ToList();
        var state = new Dictionary<int, Dictionary<string, Tensor>>();
        foreach (var (name, tensor) in tensors)
        {
            if (!name.StartsWith(OptimizerPrefix, StringComparison.Ordinal)) continue;
            var rest = name.AsSpan(OptimizerPrefix.Length);
            int dot = rest.IndexOf('.');
            var digits = rest[..Math.Max(dot, 0)];
            // Only the canonical spelling: "00" and "0" would both be parameter 0, and one would silently win.
            if (dot <= 0 || dot == rest.Length - 1 || (digits.Length > 1 && digits[0] == '0')
                || !int.TryParse(digits, NumberStyles.None, CultureInfo.InvariantCulture, out int index))
                throw new InvalidDataException($"Checkpoint: '{path}': '{name}' is not of the form '{OptimizerPrefix}{{index}}.{{key}}' with the index written as 0, 1, 2, … (no sign, no leading zeros)");
            if (index >= parameters.Count)
                throw new ArgumentException($"Checkpoint: '{path}': '{name}' is for parameter {index}, but the optimizer has {parameters.Count}");
            string key = rest[(dot + 1)..].ToString();
            bool fits = key == "step" || optimizer.IsScalarState(key) ? tensor.Size == 1 : tensor.ShapeRef.SequenceEqual(parameters[index].ShapeRef);
            if (!fits)
                throw new ArgumentException($"Checkpoint: '{path}': '{name}' has shape {Shape.Format(tensor.ShapeRef)}, parameter {index} {Shape.Format(parameters[index].ShapeRef)}");
            if (key == "step" && tensor.Item() is var step && !(step >= 0 && step == MathF.Floor(step) && step <= long.MaxValue))
                throw new InvalidDataException($"Checkpoint: '{path}': '{name}' must be a whole number from 0, got {step.ToString(CultureInfo.InvariantCulture)}");
            if (!state.TryGetValue(index, out var entry)) state[index] = entry = [];
            entry[key] = tensor;
        }
        foreach (var (index, entry) in state)
            if (!entry.ContainsKey("step")) throw new InvalidDataException($"Checkpoint: '{path}': the state of parameter {index} has no '{OptimizerPrefix}{index}.step'");
        return new OptimizerState(state, saved.Groups);
    }
}
