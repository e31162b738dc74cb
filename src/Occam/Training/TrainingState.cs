using System.Runtime.InteropServices;
using System.Text.Json;
using System.Text.Json.Serialization;
using Occam.Data;
using Occam.NN;
using Occam.Optim.Schedulers;
using Occam.Training.Callbacks;

namespace Occam.Training;

/// <summary>
/// What a resumable checkpoint holds besides the weights and the optimizer's buffers, so that a resumed run continues
/// exactly as if it had never stopped: the epochs completed and their history, every stochastic module's generator
/// state, the groups' hyperparameters that schedulers move (lr, momentum, β₁/β₂), each scheduler's counters, the data
/// loaders' epoch counters (from which they derive shuffle and augmentation seeds), and early-stopping state with its
/// best weights. Stored as JSON under the safetensors metadata key <see cref="MetadataKey"/>.
/// </summary>
public sealed class TrainingState
{
    /// <summary>The checkpoint metadata key that holds this state.</summary>
    public const string MetadataKey = "occam.training";

    static readonly JsonSerializerOptions Json = new() { NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals };

    /// <summary>Epochs completed: training continues with this epoch.</summary>
    public int Epoch { get; set; }

    /// <summary>The logs of each completed epoch.</summary>
    public List<Dictionary<string, double>> History { get; set; } = [];

    /// <summary>Stochastic module (dotted name) → base64 of its <see cref="Generator.GetState"/>.</summary>
    public Dictionary<string, string> Generators { get; set; } = [];

    /// <summary>Per optimizer group: "lr", and "momentum", "beta1", "beta2" where the group has them.</summary>
    public List<Dictionary<string, double>> Groups { get; set; } = [];

    /// <summary>Per <see cref="LrSchedulerCallback"/>, in callback order: "last_epoch" and the scheduler's own counters
    /// (children of SequentialLR and ChainedScheduler under "{index}.").</summary>
    public List<Dictionary<string, double>> Schedulers { get; set; } = [];

    /// <summary>Epoch counters of the training and validation loaders (null where that data is not a <see cref="DataLoader"/>).</summary>
    public List<int?> Loaders { get; set; } = [];

    /// <summary>Per <see cref="Callbacks.EarlyStopping"/>, in callback order.</summary>
    public List<EarlyStoppingState> EarlyStopping { get; set; } = [];

    /// <summary>Per <see cref="ModelCheckpoint"/>, in callback order: its best monitored value (null in checkpoints
    /// written before it was kept, which leave the callbacks' values as they are).</summary>
    public List<double>? CheckpointBests { get; set; }

    /// <summary>One early-stopping callback's counters, and its best weights (name → base64 of little-endian float32).</summary>
    public sealed record EarlyStoppingState(int Wait, double? Best, int BestEpoch, int StoppedEpoch, Dictionary<string, string>? BestWeights);

    public string ToJson() => JsonSerializer.Serialize(this, Json);

    public static TrainingState FromJson(string json, string source)
    {
        try
        {
            return JsonSerializer.Deserialize<TrainingState>(json, Json) ?? throw new InvalidDataException($"TrainingState: '{source}' holds a null '{MetadataKey}'");
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"TrainingState: '{source}': '{MetadataKey}' is not valid: {e.Message}");
        }
    }

    /// <summary>The state of <paramref name="trainer"/> after <paramref name="epoch"/> completed epochs.</summary>
    internal static TrainingState Capture(Trainer trainer, int epoch, IEnumerable<Batch>? train, IEnumerable<Batch>? validation)
    {
        var state = new TrainingState { Epoch = epoch };
        foreach (var logs in trainer.History.Epochs) state.History.Add(new Dictionary<string, double>(logs));
        foreach (var (name, module) in trainer.Model.NamedModules())
            if (module is IStochasticRegularizer s) state.Generators[name] = Convert.ToBase64String(s.Generator.GetState());
        foreach (var g in trainer.Optimizer.Groups)
        {
            var d = new Dictionary<string, double> { ["lr"] = g.Lr ?? double.NaN };
            if (g.Momentum is double m) d["momentum"] = m;
            if (g.Betas is { } betas) (d["beta1"], d["beta2"]) = betas;
            state.Groups.Add(d);
        }
        foreach (var cb in trainer.Callbacks.OfType<LrSchedulerCallback>())
        {
            var d = new Dictionary<string, double>();
            cb.Scheduler.SaveState("", d);
            state.Schedulers.Add(d);
        }
        state.Loaders = [(train as DataLoader)?.Epoch, (validation as DataLoader)?.Epoch];
        foreach (var es in trainer.Callbacks.OfType<Callbacks.EarlyStopping>())
        {
            var (wait, best, bestEpoch, stopped, weights) = es.SaveState();
            state.EarlyStopping.Add(new EarlyStoppingState(wait, best, bestEpoch, stopped,
                weights?.ToDictionary(kv => kv.Key, kv => Convert.ToBase64String(MemoryMarshal.AsBytes(kv.Value.Span)))));
        }
        state.CheckpointBests = [.. trainer.Callbacks.OfType<ModelCheckpoint>().Select(c => c.Best)];
        return state;
    }

    /// <summary>Checks that this state fits <paramref name="trainer"/> and the loaders, and that every value in it can be
    /// restored, without changing anything: <see cref="Trainer.Resume"/> runs it before it loads the weights.</summary>
    internal void Check(Trainer trainer, IEnumerable<Batch>? train, IEnumerable<Batch>? validation, string source)
    {
        string where = Where(source);
        var names = StochasticModules(trainer).Select(s => s.Name).ToHashSet();
        if (!names.SetEquals(Generators.Keys))
            throw new ArgumentException($"{where} holds generator states for [{string.Join(", ", Generators.Keys)}], the model's stochastic modules are [{string.Join(", ", names)}]");
        foreach (var (name, encoded) in Generators)
            try { new Generator(0).SetState(Decode(encoded, where, $"the generator state of '{name}'")); }
            catch (ArgumentException e) { throw new InvalidDataException($"{where}: the generator state of '{name}' is not valid: {e.Message}"); }
        var schedulers = SchedulersOf(trainer);
        if (schedulers.Count != Schedulers.Count)
            throw new ArgumentException($"{where} holds {Schedulers.Count} scheduler states, the trainer has {schedulers.Count} LrSchedulerCallbacks");
        for (int i = 0; i < schedulers.Count; i++) schedulers[i].LoadState("", Schedulers[i] ?? new(), where, apply: false);
        if (Groups.Count != trainer.Optimizer.Groups.Count)
            throw new ArgumentException($"{where} holds {Groups.Count} parameter groups, the optimizer has {trainer.Optimizer.Groups.Count}");
        for (int i = 0; i < Groups.Count; i++)
            if (Groups[i] == null || !Groups[i].TryGetValue("lr", out var lr) || !(lr >= 0 && double.IsFinite(lr)))
                throw new InvalidDataException($"{where}: parameter group {i} needs a finite, non-negative 'lr'");
        int stoppers = trainer.Callbacks.OfType<Callbacks.EarlyStopping>().Count();
        if (stoppers != EarlyStopping.Count)
            throw new ArgumentException($"{where} holds {EarlyStopping.Count} early-stopping states, the trainer has {stoppers} EarlyStopping callbacks");
        int checkpoints = trainer.Callbacks.OfType<ModelCheckpoint>().Count();
        if (CheckpointBests != null && (CheckpointBests.Count != checkpoints || CheckpointBests.Any(double.IsNaN)))
            throw new ArgumentException($"{where} holds {CheckpointBests.Count} ModelCheckpoint best values ({string.Join(", ", CheckpointBests)}), the trainer has {checkpoints} ModelCheckpoint callbacks");
        var shapes = trainer.Model.StateDict();
        foreach (var s in EarlyStopping)
            foreach (var (name, encoded) in (s ?? throw new InvalidDataException($"{where}: an early-stopping state is null")).BestWeights ?? [])
            {
                if (!shapes.TryGetValue(name, out var t))
                    throw new ArgumentException($"{where}: early-stopping weights name '{name}', which the model does not have");
                int bytes = Decode(encoded, where, $"the early-stopping weights of '{name}'").Length;
                if (bytes != 4L * t.Size)
                    throw new InvalidDataException($"{where}: the early-stopping weights of '{name}' hold {bytes} bytes, its {Shape.Format(t.ShapeRef)} needs {4L * t.Size}");
            }
        var loaders = new[] { train as DataLoader, validation as DataLoader };
        for (int i = 0; i < 2; i++)
            if (loaders[i] != null && (Loaders.Count <= i || Loaders[i] is not >= 0))
                throw new ArgumentException($"{where} holds no valid epoch counter for the {(i == 0 ? "training" : "validation")} loader ({(Loaders.Count > i ? Loaders[i]?.ToString() ?? "null" : "none")})");
    }

    /// <summary>Restores generators, schedulers, group hyperparameters and loader counters into <paramref name="trainer"/>
    /// (whose model and optimizer the checkpoint has already loaded), once <see cref="Check"/> has passed.</summary>
    internal void Restore(Trainer trainer, IEnumerable<Batch>? train, IEnumerable<Batch>? validation, string source)
    {
        string where = Where(source);
        foreach (var (name, generator) in StochasticModules(trainer)) generator.SetState(Decode(Generators[name], where, name));
        var schedulers = SchedulersOf(trainer);
        for (int i = 0; i < schedulers.Count; i++) schedulers[i].LoadState("", Schedulers[i] ?? new(), where, apply: true);
        for (int i = 0; i < Groups.Count; i++)
        {
            var g = trainer.Optimizer.Groups[i];
            var d = Groups[i];
            g.Lr = d["lr"];
            if (d.TryGetValue("momentum", out var m)) g.Momentum = m;
            if (d.TryGetValue("beta1", out var b1) && d.TryGetValue("beta2", out var b2)) g.Betas = (b1, b2);
        }
        var loaders = new[] { train as DataLoader, validation as DataLoader };
        for (int i = 0; i < 2; i++)
            if (loaders[i] != null) loaders[i]!.Epoch = Loaders[i]!.Value;
    }

    static string Where(string source) => $"Trainer.Resume: '{source}'";

    static List<(string Name, Generator Generator)> StochasticModules(Trainer trainer) =>
        trainer.Model.NamedModules().Where(m => m.Module is IStochasticRegularizer)
            .Select(m => (m.Name, ((IStochasticRegularizer)m.Module).Generator)).ToList();

    static List<LRScheduler> SchedulersOf(Trainer trainer) =>
        trainer.Callbacks.OfType<LrSchedulerCallback>().Select(c => c.Scheduler).ToList();

    static byte[] Decode(string base64, string where, string what)
    {
        try { return Convert.FromBase64String(base64 ?? ""); }
        catch (FormatException) { throw new InvalidDataException($"{where}: {what} is not valid base64"); }
    }

    /// <summary>Restores the callbacks' own state after their OnTrainBegin reset it.</summary>
    internal void RestoreCallbacks(Trainer trainer)
    {
        var shapes = trainer.Model.StateDict();
        int i = 0;
        foreach (var es in trainer.Callbacks.OfType<Callbacks.EarlyStopping>())
        {
            var s = EarlyStopping[i++];
            var weights = s.BestWeights?.ToDictionary(kv => kv.Key, kv =>
            {
                var shape = shapes.TryGetValue(kv.Key, out var t) ? t.Shape : throw new ArgumentException($"Trainer.Resume: early-stopping weights name '{kv.Key}', which the model does not have");
                var values = MemoryMarshal.Cast<byte, float>(Decode(kv.Value, Where("checkpoint"), kv.Key)).ToArray();
                return Tensor.FromArray(values, shape);
            });
            es.LoadState(s.Wait, s.Best, s.BestEpoch, s.StoppedEpoch, weights);
        }
        if (CheckpointBests != null)
        {
            int c = 0;
            foreach (var checkpoint in trainer.Callbacks.OfType<ModelCheckpoint>()) checkpoint.Best = CheckpointBests[c++];
        }
    }
}
