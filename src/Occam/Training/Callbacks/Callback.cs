using Occam.NN;

namespace Occam.Training.Callbacks;

/// <summary>What a callback can see and steer: the model and the stop flag (the trainer implements it).</summary>
public interface ITrainingContext
{
    Module Model { get; }

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
        Monitor = monitor;
        Mode = mode == MonitorMode.Auto ? InferMode(monitor) : mode;
    }

    public string Monitor { get; }

    /// <summary>Resolved mode (Auto is resolved from the name: accuracy-like metrics are maximized, losses minimized).</summary>
    public MonitorMode Mode { get; }

    /// <summary>As Keras: "loss" and error-like names are minimized; accuracy, AUC, precision, recall, F1 maximized.</summary>
    public static MonitorMode InferMode(string monitor)
    {
        string name = monitor.StartsWith("val_", StringComparison.Ordinal) ? monitor[4..] : monitor;
        string[] up = ["acc", "accuracy", "auc", "precision", "recall", "f1", "top_k"];
        return up.Any(u => name.Contains(u, StringComparison.OrdinalIgnoreCase)) ? MonitorMode.Max : MonitorMode.Min;
    }

    /// <summary>True when <paramref name="value"/> beats <paramref name="reference"/> by more than <paramref name="minDelta"/>
    /// (Keras: less(value + δ, reference) in min mode, greater(value − δ, reference) in max mode).</summary>
    private protected bool IsImprovement(double value, double? reference, double minDelta = 0) =>
        reference is not double r || (Mode == MonitorMode.Min ? value + minDelta < r : value - minDelta > r);

    private protected double? Current(IReadOnlyDictionary<string, double> logs) =>
        logs.TryGetValue(Monitor, out var v) ? v : null;
}
