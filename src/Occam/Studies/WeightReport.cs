using Occam.IO;

namespace Occam.Studies;

/// <summary>Statistics of one tensor (or of several together: all parameters, or the weight matrices): element count, L1 norm Σ|w|, L2 norm √Σw²,
/// max |w|, the fraction of exact zeros (what proximal L1 produces) and the fraction with |w| &lt; 1e-3 (what an L1
/// penalty without a proximal step leaves near zero). <see cref="Buffer"/> marks running statistics of
/// normalization layers, which are listed but left out of the totals.</summary>
public sealed record TensorStats(string Name, int[] Shape, long Count, double L1, double L2, double MaxAbs,
    double ZeroFraction, double SmallFraction, bool Buffer = false);

/// <summary>
/// What the weights of a checkpoint look like, from any safetensors state dict (no architecture needed): one
/// <see cref="TensorStats"/> per tensor, a total over all parameters and one over the weight matrices and kernels. Optimizer state
/// (<c>optimizer.state.*</c>, see <see cref="Checkpoint"/>) is skipped; batch-norm buffers (<c>running_mean</c>,
/// <c>running_var</c>, <c>num_batches_tracked</c>) are listed but not counted as weights.
/// </summary>
public sealed class WeightReport
{
    /// <summary>|w| below this counts as "small".</summary>
    public const double SmallThreshold = 1e-3;

    static readonly string[] BufferNames = ["running_mean", "running_var", "num_batches_tracked"];

    WeightReport(string source, List<TensorStats> tensors, TensorStats total, TensorStats matrices, Dictionary<string, Tensor> weights) =>
        (Source, Tensors, Total, Matrices, _weights) = (source, tensors, total, matrices, weights);

    readonly Dictionary<string, Tensor> _weights;

    /// <summary>Where the tensors came from (the file path, or the caller's label).</summary>
    public string Source { get; }

    /// <summary>One entry per tensor, in name order.</summary>
    public IReadOnlyList<TensorStats> Tensors { get; }

    /// <summary>All parameters (every tensor but buffers, biases and normalization parameters included) as one: named "all".</summary>
    public TensorStats Total { get; }

    /// <summary>The weight matrices and kernels (parameters of rank 2 or more) as one, named "matrices": what training's
    /// weight_l1, weight_l2 and zero_weight_fraction and the study's norms cover.</summary>
    public TensorStats Matrices { get; }

    /// <summary>Reads <paramref name="path"/> (safetensors) and reports on it.</summary>
    public static WeightReport Load(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        if (Directory.Exists(path)) throw new ArgumentException($"WeightReport: '{path}' is a folder; name a checkpoint file (.safetensors) in it");
        if (!File.Exists(path)) throw new FileNotFoundException($"WeightReport: '{path}' does not exist", path);
        return Of(Safetensors.Load(path).Tensors, path);
    }

    /// <summary>Reports on a state dict (tensors by dotted name).</summary>
    public static WeightReport Of(IReadOnlyDictionary<string, Tensor> tensors, string source = "")
    {
        ArgumentNullException.ThrowIfNull(tensors);
        var kept = tensors.Where(t => !Checkpoint.IsTrainingState(t.Key))
            .OrderBy(t => t.Key, StringComparer.Ordinal).ToList();
        if (kept.Count == 0) throw new ArgumentException($"WeightReport: '{source}' holds no model tensors");
        var stats = kept.Select(t => Stats(t.Key, t.Value.Shape, [t.Value], IsBuffer(t.Key))).ToList();
        var weights = kept.Where(t => !IsBuffer(t.Key)).ToDictionary(t => t.Key, t => t.Value);
        var total = Stats("all", [weights.Values.Sum(t => t.Size)], [.. weights.Values], buffer: false);
        var matrices = weights.Values.Where(t => t.Rank >= 2).ToArray();
        return new WeightReport(source, stats, total, Stats("matrices", [matrices.Sum(t => t.Size)], matrices, buffer: false), weights);
    }

    /// <summary>The weight values (buffers excluded), every <c>k</c>-th one when there are more than
    /// <paramref name="max"/>, for histograms.</summary>
    public double[] Values(int max = 2_000_000)
    {
        long count = _weights.Values.Sum(t => (long)t.Size);
        long stride = Math.Max(1, (count + max - 1) / max);
        var values = new List<double>((int)Math.Min(count, max));
        long i = 0;
        foreach (var t in _weights.Values)
            foreach (float v in t.Span)
                if (i++ % stride == 0) values.Add(v);
        return [.. values];
    }

    /// <summary>All values of the weight tensor <paramref name="name"/>, or none when it has no such weight.</summary>
    public double[] Values(string name) => _weights.TryGetValue(name, out var t) ? t.Span.ToArray().Select(v => (double)v).ToArray() : [];

    static bool IsBuffer(string name) => BufferNames.Any(b => name == b || name.EndsWith("." + b, StringComparison.Ordinal));

    static TensorStats Stats(string name, int[] shape, Tensor[] tensors, bool buffer)
    {
        long count = 0, zeros = 0, small = 0;
        double l1 = 0, sq = 0, max = 0;
        foreach (var t in tensors)
            foreach (float v in t.Span)
            {
                double a = Math.Abs((double)v);
                l1 += a;
                sq += a * a;
                if (a > max || double.IsNaN(a)) max = a;
                if (a == 0) zeros++;
                if (a < SmallThreshold) small++;
                count++;
            }
        return new TensorStats(name, shape, count, l1, Math.Sqrt(sq), max,
            count > 0 ? (double)zeros / count : 0, count > 0 ? (double)small / count : 0, buffer);
    }
}
