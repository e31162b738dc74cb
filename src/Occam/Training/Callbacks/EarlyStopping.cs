namespace Occam.Training.Callbacks;

/// <summary>
/// Stops training when the monitored quantity stops improving, with exactly Keras 3's semantics
/// (keras.callbacks.EarlyStopping): an epoch improves when value + minDelta &lt; best (min mode) or
/// value − minDelta &gt; best (max mode); the wait counter restarts only when the value also beats the
/// <see cref="Baseline"/>; training stops once wait ≥ patience (never at epoch 0); epochs before
/// <see cref="StartFromEpoch"/> are ignored. With <see cref="RestoreBestWeights"/> the best epoch's
/// weights are restored at the end of training, even when early stopping never triggered.
/// </summary>
public sealed class EarlyStopping : MonitorCallback
{
    Dictionary<string, Tensor>? _bestWeights;
    int _wait;

    public EarlyStopping(string monitor = "val_loss", double minDelta = 0, int patience = 0, MonitorMode mode = MonitorMode.Auto,
        double? baseline = null, bool restoreBestWeights = false, int startFromEpoch = 0) : base(monitor, mode)
    {
        if (patience < 0) throw new ArgumentException($"EarlyStopping: patience must be non-negative, got {patience}");
        if (startFromEpoch < 0) throw new ArgumentException($"EarlyStopping: startFromEpoch must be non-negative, got {startFromEpoch}");
        if (!double.IsFinite(minDelta)) throw new ArgumentException($"EarlyStopping: minDelta must be a finite number, got {minDelta}");
        if (baseline is double b && double.IsNaN(b)) throw new ArgumentException("EarlyStopping: baseline must be a number, got NaN");
        MinDelta = Math.Abs(minDelta);
        Patience = patience;
        Baseline = baseline;
        RestoreBestWeights = restoreBestWeights;
        StartFromEpoch = startFromEpoch;
    }

    public double MinDelta { get; }
    public int Patience { get; }
    public double? Baseline { get; }
    public bool RestoreBestWeights { get; }
    public int StartFromEpoch { get; }

    /// <summary>Best monitored value so far (null before the first counted epoch).</summary>
    public double? Best { get; private set; }

    /// <summary>Epoch of the best value.</summary>
    public int BestEpoch { get; private set; }

    /// <summary>Epoch at which training was stopped (0 if it was not).</summary>
    public int StoppedEpoch { get; private set; }

    public override void OnTrainBegin(IReadOnlyDictionary<string, double> logs)
    {
        _wait = 0;
        StoppedEpoch = 0;
        Best = null;
        _bestWeights = null;
        BestEpoch = 0;
    }

    public override void OnEpochEnd(int epoch, IReadOnlyDictionary<string, double> logs)
    {
        double value = Current(logs);
        if (epoch < StartFromEpoch) return;
        if (RestoreBestWeights && _bestWeights == null)
        {
            _bestWeights = Snapshot();
            BestEpoch = epoch;
        }
        _wait++;
        if (IsImprovement(value, Best, MinDelta))
        {
            Best = value;
            BestEpoch = epoch;
            if (RestoreBestWeights) _bestWeights = Snapshot();
            if (Baseline == null || IsImprovement(value, Baseline, MinDelta)) _wait = 0;
            return;
        }
        if (_wait >= Patience && epoch > 0)
        {
            StoppedEpoch = epoch;
            Ctx.StopTraining = true;
        }
    }

    public override void OnTrainEnd(IReadOnlyDictionary<string, double> logs)
    {
        if (RestoreBestWeights && _bestWeights != null) Ctx.Model.LoadStateDict(_bestWeights);
    }

    /// <summary>The counters and best weights, for a resumable checkpoint (<see cref="Trainer.SaveCheckpoint"/>).</summary>
    internal (int Wait, double? Best, int BestEpoch, int StoppedEpoch, Dictionary<string, Tensor>? BestWeights) SaveState() =>
        (_wait, Best, BestEpoch, StoppedEpoch, _bestWeights);

    internal void LoadState(int wait, double? best, int bestEpoch, int stoppedEpoch, Dictionary<string, Tensor>? bestWeights) =>
        (_wait, Best, BestEpoch, StoppedEpoch, _bestWeights) = (wait, best, bestEpoch, stoppedEpoch, bestWeights);

    Dictionary<string, Tensor> Snapshot() => Ctx.Model.StateDict().ToDictionary(kv => kv.Key, kv => kv.Value.Clone());
}
