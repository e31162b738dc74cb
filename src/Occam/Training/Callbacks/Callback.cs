using Occam.NN;

namespace Occam.Training.Callbacks;

/// <summary>What a callback can see and steer: the model, the history and the stop flag (the trainer implements it).</summary>
public interface ITrainingContext
{
    Module Model { get; }

    /// <summary>The epochs logged so far, those before a resume included.</summary>
    History History { get; }

    /// <summary>Set to stop training at the end of the current epoch (or batch).</summary>
    bool StopTraining { get; set; }
}

/// <summary>
/// Hooks into training, as Keras callbacks: begin/end of training, of each epoch and of each batch,
/// each with a logs dictionary ("loss", "accuracy", "val_loss", "val_accuracy", "lr", …).
/// </summary>
public abstract class Callback
{
    /// <summary>Set by the trainer before OnTrainBegin.</summary>
    public ITrainingContext? Context { get; set; }

    private protected ITrainingContext Ctx => Context ?? throw new InvalidOperationException($"{GetType().Name}: not attached to a trainer");

    public virtual void OnTrainBegin(IReadOnlyDictionary<string, double> logs) { }
    public virtual void OnTrainEnd(IReadOnlyDictionary<string, double> logs) { }
    public virtual void OnEpochBegin(int epoch, IReadOnlyDictionary<string, double> logs) { }
    public virtual void OnEpochEnd(int epoch, IReadOnlyDictionary<string, double> logs) { }
    public virtual void OnBatchBegin(int batch, IReadOnlyDictionary<string, double> logs) { }
    public virtual void OnBatchEnd(int batch, IReadOnlyDictionary<string, double> logs) { }
}

/// <summary>Whether a smaller or a larger monitored value is better.</summary>
public enum MonitorMode { Auto, Min, Max }

/// <summary>The shared part of callbacks that watch one logged quantity (EarlyStopping, ModelCheckpoint, …).</summary>
public abstract class MonitorCallback : Callback
{
    private protected MonitorCallback(string monitor, MonitorMode mode)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(monitor);
        if (!Enum.IsDefined(mode)) throw new ArgumentException($"{GetType().Name}: unknown mode {(int)mode}; use Auto, Min or Max");
        Monitor = monitor;
        Mode = mode == MonitorMode.Auto
            ? InferMode(monitor) ?? throw new ArgumentException($"{GetType().Name}: cannot tell whether '{monitor}' should fall or rise; pass mode: MonitorMode.Min or MonitorMode.Max")
            : mode;
    }

    public string Monitor { get; }

    /// <summary>Resolved mode (Auto is resolved from the name: accuracy-like metrics are maximized, losses minimized).</summary>
    public MonitorMode Mode { get; }

    /// <summary>As Keras: accuracy, AUC, precision, recall and F1 are maximized; losses and error-like names
    /// minimized; null for a name that is neither (Keras then asks for the mode, and so do the callbacks).</summary>
    public static MonitorMode? InferMode(string monitor)
    {
        ArgumentNullException.ThrowIfNull(monitor);
        string name = monitor.StartsWith("val_", StringComparison.Ordinal) ? monitor[4..] : monitor;
        string[] up = ["acc", "accuracy", "auc", "precision", "recall", "f1", "top_k", "top"];
        string[] down = ["loss", "error", "mse", "mae", "mape", "msle", "crossentropy", "hinge", "divergence", "gap"];
        // losses and errors first: "top5_error" falls
        if (down.Any(d => name.Contains(d, StringComparison.OrdinalIgnoreCase))) return MonitorMode.Min;
        if (up.Any(u => name.Contains(u, StringComparison.OrdinalIgnoreCase))) return MonitorMode.Max;
        return null;
    }

    /// <summary>True when <paramref name="value"/> beats <paramref name="reference"/> by more than <paramref name="minDelta"/>
    /// (Keras: less(value + δ, reference) in min mode, greater(value − δ, reference) in max mode).
    /// A NaN never improves (Keras starts from ±∞, which no NaN beats).</summary>
    private protected bool IsImprovement(double value, double? reference, double minDelta = 0) =>
        !double.IsNaN(value) && (reference is not double r || (Mode == MonitorMode.Min ? value + minDelta < r : value - minDelta > r));

    /// <summary>The monitored value of this epoch; throws, naming the logs there are, when the epoch did not log it (a
    /// misspelt name, or val_* without validation data), rather than silently never acting.</summary>
    private protected double Current(IReadOnlyDictionary<string, double> logs) =>
        logs.TryGetValue(Monitor, out var v) ? v
            : throw new InvalidOperationException($"{GetType().Name}: the monitored '{Monitor}' is not in the epoch's logs ({string.Join(", ", logs.Keys)})" +
                (Monitor.StartsWith("val_", StringComparison.Ordinal) ? "; val_* values need validation data in Fit" : ""));
}
