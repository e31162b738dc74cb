using System.Numerics.Tensors;
using Occam.Kernels;

namespace Occam;

public static partial class Functional
{
    /// <summary>
    /// Batch normalization (torch.nn.functional.batch_norm) of input [N, C, *] per channel:
    /// y = (x − μ_c)/√(σ²_c + eps)·γ_c + β_c. In training μ, σ² are the batch's mean and biased variance
    /// over N and the spatial dims, and the running statistics (when given) are updated in place:
    /// running = (1 − momentum)·running + momentum·batch, with the unbiased variance for running_var.
    /// Not training, the running statistics normalize. One graph node; its backward is the fused kernel
    /// dx = (γ/σ)·(g − mean(g) − x̂·mean(g·x̂)), dγ = Σ g·x̂, dβ = Σ g.
    /// </summary>
    public static Tensor BatchNorm(Tensor input, Tensor? runningMean, Tensor? runningVar, Tensor? weight = null, Tensor? bias = null,
        bool training = false, float momentum = 0.1f, float eps = 1e-5f) =>
        BatchNorm(input, runningMean, runningVar, weight, bias, training, momentum, eps, "BatchNorm");

    /// <param name="dropout">with relu, inverted dropout of the ReLU's output in the same pass (batch norm, ReLU and
    /// dropout in training, fused by Sequential): the same output and gradients as the three ops, without a mask.</param>
    /// <param name="maxPool2">with relu, on a 4-D input of at least 2×2: a 2×2 max pool of stride 2 in the same pass
    /// (<see cref="BatchNormReluMaxPool"/>), bit for bit what the three ops give, forward and backward.</param>
    internal static Tensor BatchNorm(Tensor input, Tensor? runningMean, Tensor? runningVar, Tensor? weight, Tensor? bias,
        bool training, float momentum, float eps, string op, bool relu = false, DropoutStream dropout = default, bool maxPool2 = false)
    {
        ArgumentNullException.ThrowIfNull(input);
        if (input.Rank < 2) throw new ArgumentException($"{op}: expected input [N, C, ...] with at least 2 dims, got {Shape.Format(input.ShapeRef)}");
        int n = input.Dim(0), c = input.Dim(1), inner = n * c == 0 ? 0 : input.Size / (n * c);
        CheckPerChannel(op, "weight", weight, c);
        CheckPerChannel(op, "bias", bias, c);
        CheckPerChannel(op, "running_mean", runningMean, c);
        CheckPerChannel(op, "running_var", runningVar, c);
        if (!(eps >= 0)) throw new ArgumentException($"{op}: eps must be non-negative, got {eps}");
        if (!(momentum >= 0 && momentum <= 1)) throw new ArgumentException($"{op}: momentum must be in [0, 1], got {momentum}");
        long count = (long)n * inner;
        // As PyTorch: exactly one value per channel is an error; none (an empty batch) has no statistics to use or to
        // move the running ones by, and gives an empty output.
        if (training && count == 1)
            throw new ArgumentException($"{op}: Expected more than 1 value per channel when training, got input size {Shape.Format(input.ShapeRef)}");
        if (!training && (runningMean == null || runningVar == null))
            throw new ArgumentException($"{op}: running_mean and running_var are required when not training");
        if (dropout.P > 0 && !(relu && dropout.P < 1))
            throw new ArgumentException($"{op}: fused dropout needs the ReLU and 0 < p < 1, got p = {dropout.P}");
        if (maxPool2 && !(relu && dropout.P == 0 && input.Rank == 4 && input.Dim(2) >= 2 && input.Dim(3) >= 2))
            throw new ArgumentException($"{op}: the fused 2×2 max pool needs the ReLU, no dropout and a 4-D input of at least 2×2, got {Shape.Format(input.ShapeRef)}");
        string name = maxPool2 ? "BatchNorm+Relu+MaxPool" : !relu ? "BatchNorm" : dropout.P > 0 ? "BatchNorm+Relu+Dropout" : "BatchNorm+Relu";
        if (inner == 1 && n > 0 && c > 0) return BatchNormRows(input, n, c, runningMean, runningVar, weight, bias, training, momentum, eps, name, relu, dropout);

        // Per-channel scratch from the shared pool (ChannelNormalize keeps its own copy of the statistics).
        var scratch = System.Buffers.ArrayPool<float>.Shared.Rent(3 * c);
        try
        {
            var mean = scratch.AsSpan(0, c);
            var rstd = scratch.AsSpan(c, c);
            if (training && count == 0)
            {
                mean.Clear();
                rstd.Fill(1f);
            }
            else if (training)
            {
                var variance = scratch.AsSpan(2 * c, c);
                ChannelMomentsParallel(input.Data, n, c, inner, scratch, 0, 2 * c);
                for (int k = 0; k < c; k++) rstd[k] = (float)(1.0 / Math.Sqrt(variance[k] + (double)eps));
                UpdateRunning(runningMean, runningVar, mean, variance, count, momentum);
            }
            else
            {
                runningMean!.Span.CopyTo(mean);
                var rv = runningVar!.Span;
                for (int k = 0; k < c; k++) rstd[k] = (float)(1.0 / Math.Sqrt(rv[k] + (double)eps));
            }
            bool centered = training && count > 0;
            if (maxPool2) return BatchNormReluMaxPool(input, mean, rstd, weight, bias, centered, name);
            return ChannelNormalize(input, n, c, inner, mean, rstd, 0, weight, bias, centered, name, relu, dropout);
        }
        finally
        {
            System.Buffers.ArrayPool<float>.Shared.Return(scratch);
        }
    }

    // Batch norm of [N, C] (inner = 1), split by rows: task t takes whole blocks of ColumnNorm.RowsPerFlush rows. Each
    // pass (the sums for the mean, the squared deviations, the normalization with its ReLU and dropout; in backward the
    // gated sums, then dx) is one parallel region, and the caller combines the blocks' double sums in block order
    // between them, so results are the same bits at any thread count (and the same as Norm.ChannelMoments, which moves
    // its float sums into double at the same rows). Split by columns, the two cores read and wrote the two halves of
    // every row at once: in stretches when this machine's virtual cores sit on different chiplets (`occam bench cores`),
    // two threads then took 8–10× as long for a pass over a [128, 512] matrix as on its row halves, and the MLP's two
    // batch norms took longer at 2 threads than at 1. By rows, measured in one process alternating with the column
    // split in such stretches (medians of 39 rounds): 0.067 against 0.083 ms a step forward, 0.060 against 0.073 backward.
    static unsafe Tensor BatchNormRows(Tensor input, int n, int c, Tensor? runningMean, Tensor? runningVar, Tensor? weight, Tensor? bias,
        bool training, float momentum, float eps, string op, bool relu, DropoutStream dropout)
    {
        const int Block = ColumnNorm.RowsPerFlush;
        int blocks = (n + Block - 1) / Block;
        int tasks = (long)n * c >= 16384 ? Math.Min(Threads.Available, blocks) : 1;
        // What backward reads, in one pooled buffer that returns with the graph: mean | rstd | γ (1 when absent).
        var saved = BufferPool.Rent(3 * c);
        var partial = System.Buffers.ArrayPool<double>.Shared.Rent(blocks * c); // each block's sums, [blocks, c]
        var work = System.Buffers.ArrayPool<float>.Shared.Rent(3 * c); // scale | shift | variance
        float[] xd = input.Data, gamma = weight?.Data ?? [], beta = bias?.Data ?? [];
        float[]? rm = runningMean?.Data, rv = runningVar?.Data;
        var y = Tensor.Empty(input.ShapeRef);
        float[] yd = y.Data;
        (int R0, int R1) Rows(int t) => ((int)((long)blocks * t / tasks) * Block, Math.Min((int)((long)blocks * (t + 1) / tasks) * Block, n));
        // Per column, the mean over the rows of Σ x (or, after the mean, of Σ (x − μ)²): each block's sums in parallel,
        // then combined in block order, whatever the split.
        void ColumnMeans(bool deviations, Span<float> into)
        {
            Threads.For(tasks, t =>
            {
                var (r0, r1) = Rows(t);
                fixed (float* px = xd, pm = saved) fixed (double* pp = partial)
                    for (int r = r0; r < r1; r += Block)
                        ColumnNorm.ColumnSums(px + (nint)r * c, Math.Min(Block, r1 - r), c, deviations ? pm : null, pp + (nint)(r / Block) * c);
            });
            for (int j = 0; j < c; j++) into[j] = (float)(BlockTotal(partial, blocks, c, j) / n);
        }
        if (training)
        {
            ColumnMeans(deviations: false, saved.AsSpan(0, c));
            ColumnMeans(deviations: true, work.AsSpan(2 * c, c));
            for (int k = 0; k < c; k++) saved[c + k] = (float)(1.0 / Math.Sqrt(work[2 * c + k] + (double)eps));
        }
        else
            for (int k = 0; k < c; k++)
            {
                saved[k] = rm![k];
                saved[c + k] = (float)(1.0 / Math.Sqrt(rv![k] + (double)eps));
            }
        // y = x·scale + shift (scale = γ·rstd, shift = β − μ·scale), then the ReLU, then dropout (element r·C + j of its stream)
        for (int k = 0; k < c; k++)
        {
            float g = saved[2 * c + k] = gamma.Length > 0 ? gamma[k] : 1f;
            work[k] = g * saved[c + k];
            work[c + k] = (beta.Length > 0 ? beta[k] : 0f) - saved[k] * work[k];
        }
        Threads.For(tasks, t =>
        {
            var (r0, r1) = Rows(t);
            fixed (float* px = xd, py = yd, pw = work)
                ColumnNorm.Normalize(px + (nint)r0 * c, py + (nint)r0 * c, r1 - r0, c, pw, pw + c, relu, dropout, r0 * c);
        });
        if (training) UpdateRunning(runningMean, runningVar, saved.AsSpan(0, c), work.AsSpan(2 * c, c), n, momentum);
        System.Buffers.ArrayPool<float>.Shared.Return(work);
        System.Buffers.ArrayPool<double>.Shared.Return(partial);
        if (!input.Tracks && !(weight?.Tracks ?? false) && !(bias?.Tracks ?? false))
        {
            BufferPool.Return(saved);
            return y;
        }
        return Tensor.Record(y, op, upstream =>
        {
            // Targets are taken here, on the calling thread: taking one may clear a lazily zeroed gradient.
            bool overwriteW = false, overwriteB = false, overwriteX = false;
            float[]? dw = weight is { RequiresGrad: true } ? weight.GradTarget(out overwriteW) : null;
            float[]? db = bias is { RequiresGrad: true } ? bias.GradTarget(out overwriteB) : null;
            float[]? dx = input.RequiresGrad ? input.GradTarget(out overwriteX) : null;
            var partial = System.Buffers.ArrayPool<double>.Shared.Rent(blocks * c); // each block's Σ g
            var gx = System.Buffers.ArrayPool<double>.Shared.Rent(blocks * c); // each block's Σ g·x
            var coefficients = System.Buffers.ArrayPool<float>.Shared.Rent(3 * c); // a | b | c of dx
            float dropScale = dropout.P > 0 ? dropout.Scale : 1f;
            fixed (float* pgFixed = upstream)
            {
                float* pg = pgFixed; // spans cannot enter the parallel body; pointers can
                // Σ g and Σ g·x with g gated by the ReLU (and dropout) as it is read; dx gates it again, so g is never written
                Threads.For(tasks, t =>
                {
                    var (r0, r1) = Rows(t);
                    fixed (float* px = xd, py = yd) fixed (double* psG = partial, psGX = gx)
                        for (int r = r0; r < r1; r += Block)
                        {
                            nint at = (nint)r * c, b = (nint)(r / Block) * c;
                            ColumnNorm.Sums(pg + at, py + at, px + at, Math.Min(Block, r1 - r), c, relu, dropScale, psG + b, psGX + b);
                        }
                });
                Span<float> a = coefficients.AsSpan(0, c), bb = coefficients.AsSpan(c, c), cc = coefficients.AsSpan(2 * c, c);
                double m = n;
                // dx = a·g + b·x + c: γ·r·g − r·mean(ĝ) − r²·mean(ĝ·x̂)·(x − μ), ĝ = g·γ (statistics constant when not training)
                for (int k = 0; k < c; k++)
                {
                    double sumG = BlockTotal(partial, blocks, c, k), sumGX = BlockTotal(gx, blocks, c, k);
                    double sumGXhat = saved[c + k] * (sumGX - saved[k] * sumG); // Σ g·x̂ = rstd·(Σ g·x − μ·Σ g)
                    if (dw != null) dw[k] = overwriteW ? (float)sumGXhat : dw[k] + (float)sumGXhat;
                    if (db != null) db[k] = overwriteB ? (float)sumG : db[k] + (float)sumG;
                    float gammaK = saved[2 * c + k], rK = saved[c + k];
                    if (!training) { a[k] = gammaK * rK; bb[k] = 0; cc[k] = 0; continue; }
                    double r = rK, meanG = gammaK * sumG / m, meanGXhat = gammaK * sumGXhat / m;
                    a[k] = (float)(gammaK * r);
                    bb[k] = (float)(-r * r * meanGXhat);
                    cc[k] = (float)(-r * meanG + r * r * meanGXhat * saved[k]);
                }
                if (dx != null)
                    Threads.For(tasks, t =>
                    {
                        var (r0, r1) = Rows(t);
                        nint at = (nint)r0 * c;
                        fixed (float* px = xd, py = yd, pdx = dx, pco = coefficients)
                            ColumnNorm.AccumulateLinear(pg + at, py + at, px + at, pdx + at, r1 - r0, c, pco, pco + c, pco + 2 * c, relu, dropScale, overwriteX);
                    });
            }
            System.Buffers.ArrayPool<double>.Shared.Return(gx);
            System.Buffers.ArrayPool<float>.Shared.Return(coefficients);
            System.Buffers.ArrayPool<double>.Shared.Return(partial);
        }, Inputs(input, weight, bias), saved: saved);
    }

    /// <summary>Σ over the blocks of column j of [blocks, c] sums, in block order: the same bits however the blocks were
    /// split between threads.</summary>
    static double BlockTotal(double[] sums, int blocks, int c, int j)
    {
        double total = 0;
        for (int b = 0; b < blocks; b++) total += sums[b * c + j];
        return total;
    }

    /// <summary>
    /// Group normalization (torch.nn.functional.group_norm, Wu &amp; He 2018) of input [N, C, *]: the C
    /// channels split into <paramref name="groups"/> groups and each (sample, group) is normalized with
    /// its own mean and biased variance, then y = x̂·γ_c + β_c per channel. One graph node, fused backward.
    /// </summary>
    public static Tensor GroupNorm(Tensor input, int groups, Tensor? weight = null, Tensor? bias = null, float eps = 1e-5f) =>
        GroupNorm(input, groups, weight, bias, eps, "GroupNorm");

    internal static Tensor GroupNorm(Tensor input, int groups, Tensor? weight, Tensor? bias, float eps, string op)
    {
        ArgumentNullException.ThrowIfNull(input);
        if (input.Rank < 2) throw new ArgumentException($"{op}: expected input [N, C, ...] with at least 2 dims, got {Shape.Format(input.ShapeRef)}");
        int n = input.Dim(0), c = input.Dim(1), inner = n * c == 0 ? 0 : input.Size / (n * c);
        if (groups < 1 || c % groups != 0)
            throw new ArgumentException($"{op}: expected the number of channels {c} of input {Shape.Format(input.ShapeRef)} to be divisible by groups, got groups = {groups}");
        CheckPerChannel(op, "weight", weight, c);
        CheckPerChannel(op, "bias", bias, c);
        if (!(eps >= 0)) throw new ArgumentException($"{op}: eps must be non-negative, got {eps}");
        int rows = n * groups;
        var mean = new float[rows];
        var variance = new float[rows];
        Norm.RowMoments(input.Span, rows, input.Size / Math.Max(rows, 1), mean, variance);
        var rstd = new float[rows];
        for (int k = 0; k < rows; k++) rstd[k] = (float)(1.0 / Math.Sqrt(variance[k] + (double)eps));
        return ChannelNormalize(input, n, c, inner, mean, rstd, c / groups, weight, bias, centered: true, "GroupNorm");
    }

    /// <summary>
    /// Instance normalization (torch.nn.functional.instance_norm, Ulyanov et al. 2016) of input [N, C, *]:
    /// each (sample, channel) normalized over its spatial dims. With <paramref name="useInputStats"/> the
    /// instance statistics normalize and the running statistics (when given) move toward their mean over
    /// the batch (unbiased variance); otherwise the running statistics normalize, as batch norm in eval.
    /// </summary>
    public static Tensor InstanceNorm(Tensor input, Tensor? runningMean = null, Tensor? runningVar = null, Tensor? weight = null, Tensor? bias = null,
        bool useInputStats = true, float momentum = 0.1f, float eps = 1e-5f) =>
        InstanceNorm(input, runningMean, runningVar, weight, bias, useInputStats, momentum, eps, "InstanceNorm");

    internal static Tensor InstanceNorm(Tensor input, Tensor? runningMean, Tensor? runningVar, Tensor? weight, Tensor? bias,
        bool useInputStats, float momentum, float eps, string op)
    {
        ArgumentNullException.ThrowIfNull(input);
        if (!useInputStats) return BatchNorm(input, runningMean, runningVar, weight, bias, false, momentum, eps, op);
        if (input.Rank < 3) throw new ArgumentException($"{op}: expected input [N, C, ...] with spatial dims, got {Shape.Format(input.ShapeRef)}");
        int n = input.Dim(0), c = input.Dim(1), inner = n * c == 0 ? 0 : input.Size / (n * c);
        if (Shape.Size(input.ShapeRef[2..]) == 1) // as PyTorch; an empty input passes, and moves no running statistics
            throw new ArgumentException($"{op}: Expected more than 1 spatial element when training, got input size {Shape.Format(input.ShapeRef)}");
        CheckPerChannel(op, "running_mean", runningMean, c);
        CheckPerChannel(op, "running_var", runningVar, c);
        if (!(momentum >= 0 && momentum <= 1)) throw new ArgumentException($"{op}: momentum must be in [0, 1], got {momentum}");
        var y = GroupNorm(input, c, weight, bias, eps, op);
        if ((runningMean != null || runningVar != null) && input.Size > 0)
        {
            // The running statistics move toward the batch average of the instance statistics.
            var mean = new float[n * c];
            var variance = new float[n * c];
            Norm.RowMoments(input.Span, n * c, inner, mean, variance);
            var avgMean = new float[c];
            var avgVar = new float[c];
            for (int k = 0; k < c; k++)
            {
                double m = 0, v = 0;
                for (int s = 0; s < n; s++) { m += mean[s * c + k]; v += variance[s * c + k]; }
                avgMean[k] = (float)(m / n);
                avgVar[k] = (float)(v / n);
            }
            UpdateRunning(runningMean, runningVar, avgMean, avgVar, inner, momentum);
        }
        return y;
    }

    /// <summary>
    /// Layer normalization (torch.nn.functional.layer_norm, Ba et al. 2016) over the trailing
    /// <paramref name="normalizedShape"/> dims: y = (x − μ)/√(σ² + eps)·γ + β with μ, σ² the mean and
    /// biased variance of each row, γ and β of shape <paramref name="normalizedShape"/>.
    /// </summary>
    public static Tensor LayerNorm(Tensor input, int[] normalizedShape, Tensor? weight = null, Tensor? bias = null, float eps = 1e-5f) =>
        RowNorm(input, normalizedShape, weight, bias, eps, centered: true, "LayerNorm");

    /// <summary>
    /// RMS normalization (torch.nn.functional.rms_norm, Zhang &amp; Sennrich 2019) over the trailing
    /// <paramref name="normalizedShape"/> dims: y = x/√(mean(x²) + eps)·γ.
    /// </summary>
    public static Tensor RmsNorm(Tensor input, int[] normalizedShape, Tensor? weight = null, float eps = 1.1920929e-07f) =>
        RowNorm(input, normalizedShape, weight, null, eps, centered: false, "RmsNorm");

    internal static Tensor RowNorm(Tensor input, int[] normalizedShape, Tensor? weight, Tensor? bias, float eps, bool centered, string op)
    {
        ArgumentNullException.ThrowIfNull(input);
        ArgumentNullException.ThrowIfNull(normalizedShape);
        var shape = input.ShapeRef;
        int k = normalizedShape.Length;
        if (k == 0 || k > shape.Length || !shape.AsSpan(shape.Length - k).SequenceEqual(normalizedShape))
            throw new ArgumentException($"{op}: input of shape {Shape.Format(shape)} does not end with normalized_shape {Shape.Format(normalizedShape)}");
        foreach (var (t, name) in new[] { (weight, "weight"), (bias, "bias") })
            if (t != null && !t.ShapeRef.AsSpan().SequenceEqual(normalizedShape))
                throw new ArgumentException($"{op}: {name} of shape {Shape.Format(t.ShapeRef)} does not match normalized_shape {Shape.Format(normalizedShape)}");
        if (!(eps >= 0)) throw new ArgumentException($"{op}: eps must be non-negative, got {eps}");
        int length = Shape.Size(normalizedShape);
        int rows = length == 0 ? 0 : input.Size / length;

        var mean = centered ? new float[rows] : [];
        var rstd = new float[rows];
        if (centered)
        {
            var variance = new float[rows];
            var xs = input.Data;
            ForChunks(rows, input.Size, (r0, r1) => Norm.RowMoments(xs.AsSpan(r0 * length, (r1 - r0) * length), r1 - r0, length,
                mean.AsSpan(r0, r1 - r0), variance.AsSpan(r0, r1 - r0)));
            for (int r = 0; r < rows; r++) rstd[r] = (float)(1.0 / Math.Sqrt(variance[r] + (double)eps));
        }
        else
        {
            var xs = input.Data;
            ForChunks(rows, input.Size, (r0, r1) => Norm.RowMeanSquares(xs.AsSpan(r0 * length, (r1 - r0) * length), r1 - r0, length, rstd.AsSpan(r0, r1 - r0)));
            for (int r = 0; r < rows; r++) rstd[r] = (float)(1.0 / Math.Sqrt(rstd[r] + (double)eps));
        }
        var y = Tensor.Empty(shape);
        var (xd, yd, wd, bd) = (input.Data, y.Data, weight?.Data, bias?.Data);
        ForChunks(rows, input.Size, (r0, r1) => Norm.RowNormalize(xd.AsSpan(r0 * length, (r1 - r0) * length), yd.AsSpan(r0 * length, (r1 - r0) * length),
            r1 - r0, length, centered ? mean.AsSpan(r0, r1 - r0) : [], rstd.AsSpan(r0, r1 - r0), wd.AsSpan(0, wd == null ? 0 : length), bd.AsSpan(0, bd == null ? 0 : length)));
        if (!input.Tracks && !(weight?.Tracks ?? false) && !(bias?.Tracks ?? false)) return y;
        return Tensor.Record(y, op, g =>
        {
            bool dw = weight is { RequiresGrad: true }, db = bias is { RequiresGrad: true };
            var dGamma = dw ? new double[length] : [];
            var dBeta = db ? new double[length] : [];
            Norm.RowNormalizeBackward(g, input.Span, rows, length, mean, rstd, weight == null ? [] : weight.Span,
                input.RequiresGrad ? input.GradSpan() : [], dGamma, dBeta);
            if (dw) AddInto(weight!.GradSpan(), dGamma);
            if (db) AddInto(bias!.GradSpan(), dBeta);
        }, Inputs(input, weight, bias));
    }

    // What a channel normalization's backward reads, in one pooled buffer that returns with the graph:
    // mean | rstd | γ (1 when absent) | `extra` floats for the caller; and the forward's scale = γ·rstd and
    // shift = β − μ·scale per coefficient (a channel, or a (sample, channel) with channelsPerStat > 0), rented as
    // scale | shift for the caller to return.
    static (float[] Saved, float[] Coef) SaveStatistics(ReadOnlySpan<float> mean, ReadOnlySpan<float> rstd, int c, int channelsPerStat,
        Tensor? weight, Tensor? bias, int coefficients, int extra = 0)
    {
        int stats = mean.Length;
        var saved = BufferPool.Rent(2 * stats + c + extra);
        mean.CopyTo(saved);
        rstd.CopyTo(saved.AsSpan(stats));
        if (weight != null) weight.Span.CopyTo(saved.AsSpan(2 * stats, c));
        else saved.AsSpan(2 * stats, c).Fill(1f);
        var coef = System.Buffers.ArrayPool<float>.Shared.Rent(2 * coefficients);
        var beta = bias == null ? default : bias.Span;
        for (int k = 0; k < coefficients; k++)
        {
            int ch = k % c, st = channelsPerStat > 0 ? k / channelsPerStat : k;
            float sc = saved[2 * stats + ch] * saved[stats + st];
            coef[k] = sc;
            coef[coefficients + k] = (bias != null ? beta[ch] : 0f) - saved[st] * sc;
        }
        return (saved, coef);
    }

    // y = (x − μ)·rstd·γ + β for input [n, c, inner] with statistics per channel (channelsPerStat = 0, batch
    // norm) or per (sample, group of channelsPerStat channels) (group norm), and its fused backward.
    // Not centered (batch norm in eval): the statistics are constants, so dx = γ·rstd·g.
    // relu: y = max(0, normalized) in the same pass (batch norm followed by ReLU, fused by Sequential); backward
    // then masks the incoming gradient by y > 0 before the normalization's own backward.
    // dropout (with relu; P = 0 for none): y = relu(normalized)·mask, the mask drawn element by element in the same
    // pass and not kept: backward reads it from y (y > 0 exactly where the ReLU passed and dropout kept).
    static Tensor ChannelNormalize(Tensor input, int n, int c, int inner, ReadOnlySpan<float> meanIn, ReadOnlySpan<float> rstdIn, int channelsPerStat,
        Tensor? weight, Tensor? bias, bool centered, string op, bool relu = false, DropoutStream dropout = default)
    {
        bool perSample = channelsPerStat > 0;
        int coefficients = perSample ? n * c : c;
        int stats = meanIn.Length;
        var (saved, coef) = SaveStatistics(meanIn, rstdIn, c, channelsPerStat, weight, bias, coefficients);
        var y = Tensor.Empty(input.ShapeRef);
        var (xd, yd) = (input.Data, y.Data);
        int block = c * inner;
        ForChunks(n, input.Size, (s0, s1) =>
        {
            var chunk = yd.AsSpan(s0 * block, (s1 - s0) * block);
            Norm.ChannelScaleShift(xd.AsSpan(s0 * block, (s1 - s0) * block), chunk,
                s1 - s0, c, inner, perSample ? coef.AsSpan(s0 * c, (s1 - s0) * c) : coef.AsSpan(0, c),
                perSample ? coef.AsSpan(coefficients + s0 * c, (s1 - s0) * c) : coef.AsSpan(coefficients, c), relu);
            if (dropout.P > 0) RandomKernels.DropoutInPlace(chunk, (long)s0 * block, dropout);
        });
        System.Buffers.ArrayPool<float>.Shared.Return(coef);
        if (!input.Tracks && !(weight?.Tracks ?? false) && !(bias?.Tracks ?? false)) { BufferPool.Return(saved); return y; }
        return Tensor.Record(y, op, g =>
        {
            if (relu)
            {
                // g is y's own gradient buffer, which no other node reads and which returns to the pool after this
                // backward: mask it in place by the ReLU's output.
                var (yd2, gb) = (y.Data, y.GradBuffer!);
                ForChunks(n, g.Length, (s0, s1) =>
                {
                    var ys = yd2.AsSpan(s0 * block, (s1 - s0) * block);
                    var gs = gb.AsSpan(s0 * block, (s1 - s0) * block);
                    if (dropout.P > 0) Elementwise.Apply(new ReluDropoutMaskOp(dropout.Scale), ys, gs, gs);
                    else Elementwise.Apply(new ReluMaskOp(), ys, gs, gs);
                });
            }
            ChannelNormalizeBackward(g, input, n, c, inner, saved, stats, channelsPerStat, centered, weight, bias);
        }, Inputs(input, weight, bias), saved: saved);
    }

    // ChannelNormalize's backward from the gradient of its output (already masked by the ReLU and dropout when they were
    // fused): the γ and β gradients and dx, with saved = mean | rstd | γ (stats each, then c). Also the backward of the
    // batch norm fused with its ReLU and max pool (BatchNormReluMaxPool).
    // With planes (batch norm's statistics per channel only), g is not given: each plane's gradient is rebuilt by planes
    // into a buffer of one plane where the sums and dx read it, in the same order, so the sums are g's bit for bit.
    static void ChannelNormalizeBackward(ReadOnlySpan<float> g, Tensor input, int n, int c, int inner, float[] saved, int stats,
        int channelsPerStat, bool centered, Tensor? weight, Tensor? bias, PlaneGradient? planes = null)
    {
        bool perSample = channelsPerStat > 0;
        int coefficients = perSample ? n * c : c;
        int Stat(int k) => perSample ? k / channelsPerStat : k; // k indexes (sample, channel) or channel
        int rOff = stats, gOff = 2 * stats, block = c * inner;
        var doubles = System.Buffers.ArrayPool<double>.Shared.Rent(3 * coefficients + 2 * stats);
        var floats = System.Buffers.ArrayPool<float>.Shared.Rent(3 * coefficients); // a | b | cc
        try
        {
            var sumG = doubles.AsSpan(0, coefficients);
            var sumGX = doubles.AsSpan(coefficients, coefficients);
            var sumGXhat = doubles.AsSpan(2 * coefficients, coefficients);
            if (planes != null) PlaneGradSumsParallel(planes, input.Data, n, c, inner, doubles);
            else ChannelGradSumsParallel(g, input.Data, n, c, inner, perSample, doubles, coefficients);
            // Σ g·x̂ per coefficient = rstd·(Σ g·x − μ·Σ g)
            for (int k = 0; k < coefficients; k++) sumGXhat[k] = saved[rOff + Stat(k)] * (sumGX[k] - saved[Stat(k)] * sumG[k]);
            if (weight is { RequiresGrad: true })
            {
                var dw = weight.GradSpan();
                for (int k = 0; k < coefficients; k++) dw[k % c] += (float)sumGXhat[k];
            }
            if (bias is { RequiresGrad: true })
            {
                var db = bias.GradSpan();
                for (int k = 0; k < coefficients; k++) db[k % c] += (float)sumG[k];
            }
            if (!input.RequiresGrad) return;
            var a = floats.AsSpan(0, coefficients);
            var b = floats.AsSpan(coefficients, coefficients);
            var cc = floats.AsSpan(2 * coefficients, coefficients);
            b.Clear();
            cc.Clear();
            if (!centered)
                for (int k = 0; k < coefficients; k++) a[k] = saved[gOff + k % c] * saved[rOff + Stat(k)];
            else
            {
                // Per statistic over its M elements, with ĝ = g·γ: mean(ĝ) and mean(ĝ·x̂).
                double m = (double)(perSample ? channelsPerStat : n) * inner;
                var meanG = doubles.AsSpan(3 * coefficients, stats);
                var meanGXhat = doubles.AsSpan(3 * coefficients + stats, stats);
                meanG.Clear();
                meanGXhat.Clear();
                for (int k = 0; k < coefficients; k++)
                {
                    double gm = saved[gOff + k % c];
                    meanG[Stat(k)] += gm * sumG[k] / m;
                    meanGXhat[Stat(k)] += gm * sumGXhat[k] / m;
                }
                // dx = γ·r·g − r·mean(ĝ) − r²·mean(ĝ·x̂)·(x − μ)
                for (int k = 0; k < coefficients; k++)
                {
                    int st = Stat(k);
                    double r = saved[rOff + st];
                    a[k] = (float)(saved[gOff + k % c] * r);
                    b[k] = (float)(-r * r * meanGXhat[st]);
                    cc[k] = (float)(-r * meanG[st] + r * r * meanGXhat[st] * saved[st]);
                }
            }
            var xd2 = input.Data;
            var dx = input.GradTarget(out bool overwrite);
            if (planes != null)
            {
                ForChunks(n, input.Size, (s0, s1) =>
                {
                    var plane = System.Buffers.ArrayPool<float>.Shared.Rent(inner);
                    var gp = plane.AsSpan(0, inner);
                    for (int p = s0 * c; p < s1 * c; p++)
                    {
                        planes(p, gp);
                        int ch = p % c;
                        Norm.ChannelAccumulateLinear(gp, xd2.AsSpan(p * inner, inner), dx.AsSpan(p * inner, inner), 1, 1, inner,
                            floats.AsSpan(ch, 1), floats.AsSpan(coefficients + ch, 1), floats.AsSpan(2 * coefficients + ch, 1), overwrite);
                    }
                    System.Buffers.ArrayPool<float>.Shared.Return(plane);
                });
                return;
            }
            unsafe
            {
                fixed (float* pgFixed = g, pdFixed = dx)
                {
                    float* pg = pgFixed, pd = pdFixed; // spans cannot enter the parallel body; pointers can
                    ForChunks(n, g.Length, (s0, s1) => Norm.ChannelAccumulateLinear(
                        new ReadOnlySpan<float>(pg + (long)s0 * block, (s1 - s0) * block), xd2.AsSpan(s0 * block, (s1 - s0) * block),
                        new Span<float>(pd + (long)s0 * block, (s1 - s0) * block), s1 - s0, c, inner,
                        perSample ? floats.AsSpan(s0 * c, (s1 - s0) * c) : floats.AsSpan(0, c),
                        perSample ? floats.AsSpan(coefficients + s0 * c, (s1 - s0) * c) : floats.AsSpan(coefficients, c),
                        perSample ? floats.AsSpan(2 * coefficients + s0 * c, (s1 - s0) * c) : floats.AsSpan(2 * coefficients, c), overwrite));
                }
            }
        }
        finally
        {
            System.Buffers.ArrayPool<double>.Shared.Return(doubles);
            System.Buffers.ArrayPool<float>.Shared.Return(floats);
        }
    }

    // Σg and Σg·x per coefficient (sums land in doubles[0..coefficients) and [coefficients..2·coefficients)),
    // over sample chunks in parallel when large: per-sample coefficients are disjoint; per-channel partial sums
    // are added in chunk order, so the result is fixed for a given thread count.
    static unsafe void ChannelGradSumsParallel(ReadOnlySpan<float> g, float[] x, int n, int c, int inner, bool perSample, double[] doubles, int coefficients)
    {
        int tasks = (int)Math.Min(Math.Min(Threads.Count, n), (long)g.Length / 32768);
        if (tasks <= 1 || inner == 1)
        {
            Norm.ChannelGradSums(g, x, n, c, inner, doubles.AsSpan(0, coefficients), doubles.AsSpan(coefficients, coefficients));
            return;
        }
        int block = c * inner;
        var partials = perSample ? null : System.Buffers.ArrayPool<double>.Shared.Rent(2 * c * tasks);
        fixed (float* pgFixed = g)
        {
            float* pg = pgFixed;
            Threads.For(tasks, t =>
            {
                int s0 = (int)((long)n * t / tasks), s1 = (int)((long)n * (t + 1) / tasks);
                var gs = new ReadOnlySpan<float>(pg + (long)s0 * block, (s1 - s0) * block);
                var xs = x.AsSpan(s0 * block, (s1 - s0) * block);
                if (perSample)
                    Norm.ChannelGradSums(gs, xs, s1 - s0, c, inner, doubles.AsSpan(s0 * c, (s1 - s0) * c), doubles.AsSpan(coefficients + s0 * c, (s1 - s0) * c));
                else
                    Norm.ChannelGradSums(gs, xs, s1 - s0, c, inner, partials.AsSpan(2 * c * t, c), partials.AsSpan(2 * c * t + c, c));
            });
        }
        if (partials != null) AddChunkSums(partials, tasks, c, doubles, coefficients);
    }

    // Per channel, the tasks' Σg and Σg·x (partials: [tasks][Σg | Σg·x] of c each) added in task order into doubles[k] and
    // doubles[coefficients + k]; returns partials to the pool.
    static void AddChunkSums(double[] partials, int tasks, int c, double[] doubles, int coefficients)
    {
        for (int k = 0; k < c; k++)
        {
            double sg = 0, sgx = 0;
            for (int t = 0; t < tasks; t++) { sg += partials[2 * c * t + k]; sgx += partials[2 * c * t + c + k]; }
            doubles[k] = sg;
            doubles[coefficients + k] = sgx;
        }
        System.Buffers.ArrayPool<double>.Shared.Return(partials);
    }

    /// <summary>Writes the gradient of plane p (sample p / C, channel p % C) of a normalization's output into
    /// <paramref name="into"/>, all of it.</summary>
    internal delegate void PlaneGradient(int p, Span<float> into);

    // ChannelGradSumsParallel (per channel) with each plane's g rebuilt by planes: the same tasks, the same sums in the
    // same order (Norm.ChannelGradSums' Σ and dot per plane), so the same bits as over the whole g.
    static void PlaneGradSumsParallel(PlaneGradient planes, float[] x, int n, int c, int inner, double[] doubles)
    {
        long size = (long)n * c * inner;
        int tasks = (int)Math.Min(Math.Min(Threads.Count, n), size / 32768);
        if (tasks < 1) tasks = 1;
        var partials = System.Buffers.ArrayPool<double>.Shared.Rent(2 * c * tasks);
        Threads.For(tasks, t =>
        {
            int s0 = (int)((long)n * t / tasks), s1 = (int)((long)n * (t + 1) / tasks);
            var sumG = partials.AsSpan(2 * c * t, c);
            var sumGX = partials.AsSpan(2 * c * t + c, c);
            sumG.Clear();
            sumGX.Clear();
            var plane = System.Buffers.ArrayPool<float>.Shared.Rent(inner);
            var gp = plane.AsSpan(0, inner);
            for (int p = s0 * c; p < s1 * c; p++)
            {
                planes(p, gp);
                sumG[p % c] += Norm.Sum(gp);
                sumGX[p % c] += Norm.Dot(gp, x.AsSpan(p * inner, inner));
            }
            System.Buffers.ArrayPool<float>.Shared.Return(plane);
        });
        AddChunkSums(partials, tasks, c, doubles, c);
    }

    // Per-channel mean and biased variance of x [n, c, inner] into scratch[meanAt..+c) and scratch[varAt..+c):
    // over sample chunks in parallel when large, combined with Chan et al.'s pairwise update in chunk order.
    static void ChannelMomentsParallel(float[] x, int n, int c, int inner, float[] scratch, int meanAt, int varAt)
    {
        int tasks = (int)Math.Min(Math.Min(Threads.Count, n), (long)x.Length / 65536);
        if (tasks <= 1 || inner == 1)
        {
            Norm.ChannelMoments(x.AsSpan(0, n * c * inner), n, c, inner, scratch.AsSpan(meanAt, c), scratch.AsSpan(varAt, c));
            return;
        }
        int block = c * inner;
        var partials = System.Buffers.ArrayPool<float>.Shared.Rent(2 * c * tasks);
        Threads.For(tasks, t =>
        {
            int s0 = (int)((long)n * t / tasks), s1 = (int)((long)n * (t + 1) / tasks);
            Norm.ChannelMoments(x.AsSpan(s0 * block, (s1 - s0) * block), s1 - s0, c, inner, partials.AsSpan(2 * c * t, c), partials.AsSpan(2 * c * t + c, c));
        });
        for (int k = 0; k < c; k++)
        {
            double count = 0, mean = 0, m2 = 0;
            for (int t = 0; t < tasks; t++)
            {
                double nb = (double)((long)n * (t + 1) / tasks - (long)n * t / tasks) * inner;
                double mb = partials[2 * c * t + k], m2b = partials[2 * c * t + c + k] * nb;
                double total = count + nb, delta = mb - mean;
                mean += delta * nb / total;
                m2 += m2b + delta * delta * count * nb / total;
                count = total;
            }
            scratch[meanAt + k] = (float)mean;
            scratch[varAt + k] = (float)(m2 / count);
        }
        System.Buffers.ArrayPool<float>.Shared.Return(partials);
    }

    // Runs body(start, end) over [0, count) split across the engine's threads when the tensor is large
    // enough to pay for it; chunks are fixed by count and thread count, so results are deterministic.
    static void ForChunks(int count, long elements, Action<int, int> body)
    {
        int tasks = (int)Math.Min(Math.Min(Threads.Count, count), elements / 32768);
        if (tasks <= 1) { body(0, count); return; }
        Threads.For(tasks, t => body((int)((long)count * t / tasks), (int)((long)count * (t + 1) / tasks)));
    }

    static void UpdateRunning(Tensor? runningMean, Tensor? runningVar, ReadOnlySpan<float> mean, ReadOnlySpan<float> variance, long count, float momentum)
    {
        if (runningMean != null)
        {
            var rm = runningMean.Span;
            for (int k = 0; k < rm.Length; k++) rm[k] = (1 - momentum) * rm[k] + momentum * mean[k];
        }
        if (runningVar != null)
        {
            var rv = runningVar.Span;
            double unbias = count > 1 ? count / (double)(count - 1) : double.NaN;
            for (int k = 0; k < rv.Length; k++) rv[k] = (float)((1 - momentum) * rv[k] + momentum * (variance[k] * unbias));
        }
    }

    static void AddInto(Span<float> grad, double[] values)
    {
        for (int i = 0; i < values.Length; i++) grad[i] += (float)values[i];
    }

    static Tensor[] Inputs(Tensor input, Tensor? weight, Tensor? bias) =>
        new[] { input, weight, bias }.Where(t => t != null).ToArray()!;

    static void CheckPerChannel(string op, string name, Tensor? t, int channels)
    {
        if (t != null && t.Size != channels)
            throw new ArgumentException($"{op}: {name} has {t.Size} elements {Shape.Format(t.ShapeRef)}, expected one per channel ({channels})");
    }
}
