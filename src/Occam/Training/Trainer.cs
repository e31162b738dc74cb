using System.Diagnostics;
using Occam.Data;
using Occam.Losses;
using Occam.NN;
using Occam.Optim;
using Occam.Training.Callbacks;

namespace Occam.Training;

/// <summary>
/// Keras-style training on PyTorch-shaped pieces. Each batch: forward in training mode, loss plus every
/// attached penalty (<c>Regularization.Penalty</c>), backward, optimizer step (which also applies proximal L1
/// and constraints), then the EMA update. Each epoch logs train and validation loss and accuracy (top-k too when
/// asked), the learning rate, the weights' L1/L2 norms and fraction of exact zeros, and the epoch time.
/// "loss" includes the penalties, as in Keras; "data_loss" is the loss alone. With <see cref="Sam"/>, each batch
/// takes a second forward and backward at the perturbed weights before the step; the logged loss and accuracy are
/// the first pass's, and every buffer (batch-norm running statistics) keeps the value the first pass left.
/// </summary>
public sealed class Trainer : ITrainingContext
{
    public Trainer(Module model, Optimizer optimizer, ILoss loss, IEnumerable<Callback>? callbacks = null, Ema? ema = null, int topK = 0, Sam? sam = null)
    {
        Model = model ?? throw new ArgumentNullException(nameof(model));
        Optimizer = optimizer ?? throw new ArgumentNullException(nameof(optimizer));
        Loss = loss ?? throw new ArgumentNullException(nameof(loss));
        Callbacks = callbacks?.ToList() ?? [];
        if (Callbacks.Any(c => c == null)) throw new ArgumentException("Trainer: a callback is null");
        Ema = ema;
        if (topK < 0) throw new ArgumentException($"Trainer: topK must be non-negative, got {topK}");
        TopK = topK;
        if (sam != null && sam.Optimizer != optimizer)
            throw new ArgumentException("Trainer: the Sam wraps another optimizer than the trainer's; build it as new Sam(optimizer, rho)");
        Sam = sam;
    }

    public Module Model { get; }
    public Optimizer Optimizer { get; }
    public ILoss Loss { get; }
    public List<Callback> Callbacks { get; }
    public Ema? Ema { get; }

    /// <summary>Sharpness-aware minimization around <see cref="Optimizer"/>, or null for plain steps.</summary>
    public Sam? Sam { get; }

    /// <summary>Also log "top{k}_accuracy" when k &gt; 1.</summary>
    public int TopK { get; }

    public bool StopTraining { get; set; }

    /// <summary>The history of the latest (or current) <see cref="Fit"/>, including the epochs before a resume.</summary>
    public History History { get; private set; } = new();

    /// <summary>Extra metadata written into every checkpoint of <see cref="SaveCheckpoint"/> (e.g. the run's configuration).</summary>
    public Dictionary<string, string> CheckpointMetadata { get; } = [];

    TrainingState? _resumed;

    /// <summary>Trains for <paramref name="epochs"/> epochs (numbered from <paramref name="initialEpoch"/>; by default 0,
    /// or the epoch a <see cref="Resume"/> returned), evaluating on <paramref name="validation"/> after each; callbacks
    /// may stop early. With <paramref name="checkpointPath"/>, a resumable checkpoint (<see cref="SaveCheckpoint"/>)
    /// is written there after every epoch whose loss is finite, once the callbacks have seen it.</summary>
    public History Fit(IEnumerable<Batch> train, IEnumerable<Batch>? validation = null, int epochs = 1, int? initialEpoch = null, string? checkpointPath = null)
    {
        ArgumentNullException.ThrowIfNull(train);
        if (epochs < 1) throw new ArgumentException($"Trainer.Fit: epochs must be positive, got {epochs}");
        if (initialEpoch < 0) throw new ArgumentException($"Trainer.Fit: initialEpoch must be non-negative, got {initialEpoch}");
        var resumed = _resumed;
        _resumed = null;
        int first = initialEpoch ?? resumed?.Epoch ?? 0;
        var history = History = new History();
        foreach (var logs in resumed?.History ?? []) history.Add(new Dictionary<string, double>(logs));
        StopTraining = false;
        foreach (var cb in Callbacks) cb.Context = this;
        var empty = new Dictionary<string, double>();
        foreach (var cb in Callbacks) cb.OnTrainBegin(empty);
        resumed?.RestoreCallbacks(this);
        for (int epoch = first; epoch < first + epochs && !StopTraining; epoch++)
        {
            foreach (var cb in Callbacks) cb.OnEpochBegin(epoch, empty);
            var clock = Stopwatch.StartNew();
            var logs = TrainEpoch(train) ?? throw NoBatches($"Trainer.Fit: the training data gave no batches in epoch {epoch + 1}");
            if (validation != null)
                foreach (var (key, value) in EvaluateOrNull(validation) ?? throw NoBatches($"Trainer.Fit: the validation data gave no batches in epoch {epoch + 1}"))
                    logs["val_" + key] = value;
            logs["lr"] = Optimizer.Groups[0].Lr ?? double.NaN;
            foreach (var (key, value) in WeightStatistics(Model)) logs[key] = value;
            logs["seconds"] = clock.Elapsed.TotalSeconds;
            history.Add(logs);
            foreach (var cb in Callbacks) cb.OnEpochEnd(epoch, logs);
            // A diverged model never replaces the last good checkpoint.
            if (checkpointPath != null && double.IsFinite(logs["loss"])) SaveCheckpoint(checkpointPath, epoch + 1, train, validation);
        }
        var last = history.Epochs.Count > 0 ? history.Epochs[^1] : empty;
        foreach (var cb in Callbacks) cb.OnTrainEnd(last);
        return history;
    }

    /// <summary>
    /// Writes a resumable checkpoint to <paramref name="path"/> (atomically): the model, the optimizer, and the
    /// <see cref="TrainingState"/> after <paramref name="epoch"/> completed epochs — history, every stochastic module's
    /// generator, scheduler counters, early-stopping state, and the epoch counters of <paramref name="train"/> and
    /// <paramref name="validation"/> when they are <see cref="DataLoader"/>s. The metadata also holds "epoch".
    /// </summary>
    public void SaveCheckpoint(string path, int epoch, IEnumerable<Batch>? train = null, IEnumerable<Batch>? validation = null)
    {
        if (epoch < 0) throw new ArgumentException($"Trainer.SaveCheckpoint: epoch must be non-negative, got {epoch}");
        var state = TrainingState.Capture(this, epoch, train, validation);
        var metadata = new Dictionary<string, string>(CheckpointMetadata)
        {
            ["epoch"] = epoch.ToString(System.Globalization.CultureInfo.InvariantCulture),
            [TrainingState.MetadataKey] = state.ToJson(),
        };
        IO.Checkpoint.Save(path, Model, Optimizer, metadata, Ema);
    }

    /// <summary>
    /// Loads a checkpoint written by <see cref="SaveCheckpoint"/> into this trainer, built as the interrupted one was
    /// (same architecture, optimizer, callbacks and loaders): weights, optimizer state, generators, schedulers and loader
    /// counters now, history and early-stopping state when the next <see cref="Fit"/> begins. Returns the epoch to continue
    /// from; <c>Fit(train, validation, epochs: total − that)</c> then continues exactly as if training had never stopped.
    /// </summary>
    public int Resume(string path, IEnumerable<Batch>? train = null, IEnumerable<Batch>? validation = null)
    {
        // Everything is checked before the weights, the optimizer or any other state is touched: a checkpoint that
        // does not fit leaves this trainer as it was.
        TrainingState? state = null;
        IO.Checkpoint.Load(path, Model, Optimizer, strict: true, ema: Ema, check: metadata =>
        {
            if (!metadata.TryGetValue(TrainingState.MetadataKey, out var json))
                throw new ArgumentException($"Trainer.Resume: '{path}' is not a resumable checkpoint (its metadata has no '{TrainingState.MetadataKey}'; write one with Trainer.SaveCheckpoint)");
            state = TrainingState.FromJson(json, path);
            state.Check(this, train, validation, path);
        });
        state!.Restore(this, train, validation, path);
        _resumed = state;
        return state.Epoch;
    }

    // Keras's fit and evaluate raise on an empty dataset too; an epoch of no batches would log a NaN loss and go on.
    static InvalidOperationException NoBatches(string what) =>
        new($"{what} (an empty dataset, or dropLast with fewer examples than the batch size)");

    /// <summary>One epoch of training: its logs, or null when <paramref name="train"/> gave no batch.</summary>
    Dictionary<string, double>? TrainEpoch(IEnumerable<Batch> train)
    {
        Model.Train();
        var totals = new Accumulator(TopK, IgnoredTarget);
        var buffers = Sam != null ? new BufferSnapshot(Model) : null;
        int index = 0;
        foreach (var batch in train)
        {
            var batchLogs = new Dictionary<string, double>();
            foreach (var cb in Callbacks) cb.OnBatchBegin(index, batchLogs);
            Optimizer.ZeroGrad();
            var output = Model.Forward(batch.Inputs);
            var dataLoss = Loss.Forward(output, batch.Targets);
            var total = dataLoss + Regularizers.Regularization.Penalty(Model);
            totals.Add(output, batch.Targets, dataLoss.Item(), total.Item());
            total.Backward();
            if (buffers != null) SharpnessAwareStep(batch, buffers);
            else Optimizer.Step();
            Ema?.Update();
            batchLogs["loss"] = totals.LastLoss;
            batchLogs["batch_size"] = batch.Count;
            foreach (var cb in Callbacks) cb.OnBatchEnd(index, batchLogs);
            index++;
            if (StopTraining) break;
        }
        return totals.Batches == 0 ? null : totals.Logs();
    }

    /// <summary>SAM's second pass: the loss and its gradient at the perturbed weights, then the step from the weights
    /// as they were. The first pass's buffers are put back, so the running statistics move once per batch.</summary>
    void SharpnessAwareStep(Batch batch, BufferSnapshot buffers)
    {
        _samBatch = batch;
        // one delegate for the whole run, so the step allocates no closure per batch
        _samLoss ??= () => Loss.Forward(Model.Forward(_samBatch.Inputs), _samBatch.Targets) + Regularizers.Regularization.Penalty(Model);
        buffers.Save();
        try { Sam!.Step(_samLoss); }
        finally
        {
            buffers.Restore();
            _samBatch = default;
        }
    }

    Batch _samBatch;
    Func<Tensor>? _samLoss;

    /// <summary>Copies of a model's buffers, kept from batch to batch.</summary>
    sealed class BufferSnapshot(Module model)
    {
        readonly (Tensor Buffer, float[] Copy)[] _buffers = [.. model.NamedBuffers().Select(b => (b.Buffer, new float[b.Buffer.Size]))];

        public void Save()
        {
            foreach (var (buffer, copy) in _buffers) buffer.Span.CopyTo(copy);
        }

        public void Restore()
        {
            foreach (var (buffer, copy) in _buffers)
            {
                copy.CopyTo(buffer.Span);
                buffer.Storage.Version++;
            }
        }
    }

    /// <summary>Loss (with penalties, as Keras), data loss and accuracy over <paramref name="data"/> in evaluation mode.</summary>
    public Dictionary<string, double> Evaluate(IEnumerable<Batch> data)
    {
        ArgumentNullException.ThrowIfNull(data);
        return EvaluateOrNull(data) ?? throw NoBatches("Trainer.Evaluate: the data gave no batches");
    }

    /// <summary><see cref="Evaluate"/>'s logs, or null when <paramref name="data"/> gave no batch.</summary>
    Dictionary<string, double>? EvaluateOrNull(IEnumerable<Batch> data)
    {
        var totals = new Accumulator(TopK, IgnoredTarget);
        double penalty;
        using (Autograd.NoGrad()) penalty = Regularizers.Regularization.Penalty(Model).Item();
        // The forwards run as Inference.Predict runs them (batches side by side); the loss and the metrics are taken
        // here, in batch order.
        Inference.ForEach(Model, data, batch => batch.Inputs.Size, batch => batch.Inputs, (batch, output) =>
        {
            float loss = Loss.Forward(output, batch.Targets).Item();
            totals.Add(output, batch.Targets, loss, loss + penalty);
        });
        return totals.Batches == 0 ? null : totals.Logs();
    }

    /// <summary>L1 and L2 norms and the fraction of exact zeros over the weight matrices and kernels (rank ≥ 2).</summary>
    public static Dictionary<string, double> WeightStatistics(Module model)
    {
        ArgumentNullException.ThrowIfNull(model);
        double l1 = 0, l2 = 0;
        long zeros = 0, count = 0;
        foreach (var p in model.Parameters())
        {
            if (p.Rank < 2) continue;
            foreach (float w in p.Span)
            {
                l1 += Math.Abs(w);
                l2 += (double)w * w;
                if (w == 0) zeros++;
            }
            count += p.Size;
        }
        return new() { ["weight_l1"] = l1, ["weight_l2"] = Math.Sqrt(l2), ["zero_weight_fraction"] = count == 0 ? 0 : zeros / (double)count };
    }

    // The target the loss skips (its ignoreIndex), which the accuracies skip too.
    int? IgnoredTarget => Loss switch { CrossEntropyLoss ce => ce.IgnoreIndex, NLLLoss nll => nll.IgnoreIndex, _ => null };

    // Sample-weighted running means of the epoch's losses, and accuracies over the samples whose targets are not ignored.
    sealed class Accumulator(int topK, int? ignoreIndex)
    {
        double _loss, _dataLoss;
        long _samples, _scored, _correct, _correctTopK;
        bool _classification = true;

        public double LastLoss { get; private set; }

        public int Batches { get; private set; }

        public void Add(Tensor output, Tensor targets, double dataLoss, double loss)
        {
            Batches++;
            int n = output.Rank == 0 ? 1 : output.Dim(0);
            _loss += loss * n;
            _dataLoss += dataLoss * n;
            _samples += n;
            LastLoss = loss;
            _classification &= output.Rank == 2 && output.Dim(1) > 1 && (targets.Rank == 1 || (targets.Rank == 2 && targets.Dim(1) == output.Dim(1)));
            if (!_classification) return;
            _scored += Metrics.Scored(targets, ignoreIndex);
            _correct += Metrics.CorrectTopK(output, targets, ignoreIndex: ignoreIndex);
            if (topK > 1) _correctTopK += Metrics.CorrectTopK(output, targets, Math.Min(topK, output.Dim(1)), ignoreIndex);
        }

        public Dictionary<string, double> Logs()
        {
            var logs = new Dictionary<string, double>
            {
                ["loss"] = _samples == 0 ? double.NaN : _loss / _samples,
                ["data_loss"] = _samples == 0 ? double.NaN : _dataLoss / _samples,
            };
            if (_classification && _scored > 0)
            {
                logs["accuracy"] = _correct / (double)_scored;
                if (topK > 1) logs[$"top{topK}_accuracy"] = _correctTopK / (double)_scored;
            }
            return logs;
        }
    }
}
