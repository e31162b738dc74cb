using System.Numerics.Tensors;

namespace Occam;

// Softmax and log-softmax along a dim, stabilized by subtracting the maximum.
public partial class Tensor
{
    /// <summary>softmax(x)_i = e^{x_i − max} / Σ_j e^{x_j − max} along <paramref name="dim"/>.</summary>
    public Tensor Softmax(int dim) => SoftmaxCore(dim, log: false);

    /// <summary>log_softmax(x)_i = x_i − max − log Σ_j e^{x_j − max} along <paramref name="dim"/>.</summary>
    public Tensor LogSoftmax(int dim) => SoftmaxCore(dim, log: true);

    Tensor SoftmaxCore(int dim, bool log)
    {
        string op = log ? "LogSoftmax" : "Softmax";
        int d = Occam.Shape.Dim(dim, Rank, op);
        int outer = 1, inner = 1, length = Rank == 0 ? 1 : _shape[d];
        for (int i = 0; i < d; i++) outer *= _shape[i];
        for (int i = d + 1; i < Rank; i++) inner *= _shape[i];
        var y = Empty(_shape);
        if (Size == 0) return Tracks ? Record(y, op, _ => { }, [this]) : y; // nothing to normalize, as PyTorch
        var x = Span;
        var dst = y.Span;
        var scratch = BufferPool.Rent(length);
        for (int o = 0; o < outer; o++)
            for (int i = 0; i < inner; i++)
            {
                int start = o * length * inner + i;
                var row = scratch.AsSpan(0, length);
                for (int j = 0; j < length; j++) row[j] = x[start + j * inner];
                SoftmaxRow(row, log);
                for (int j = 0; j < length; j++) dst[start + j * inner] = row[j];
            }
        BufferPool.Return(scratch);
        if (!Tracks) return y;
        var input = this;
        return Record(y, op, g => SoftmaxBackward(input.GradSpan(), y.Span, g, outer, length, inner, log), [input]);
    }

    // In place over one contiguous row.
    static void SoftmaxRow(Span<float> row, bool log)
    {
        float max = TensorPrimitives.Max(row);
        if (float.IsNegativeInfinity(max)) max = 0; // all −∞: keep NaN-free shifting
        TensorPrimitives.Subtract(row, max, row);
        if (log)
        {
            float sum = 0;
            foreach (float v in row) sum += MathF.Exp(v);
            TensorPrimitives.Subtract(row, MathF.Log(sum), row);
        }
        else
        {
            TensorPrimitives.Exp(row, row);
            TensorPrimitives.Multiply(row, 1f / TensorPrimitives.Sum(row), row);
        }
    }

    // softmax: dx = y ⊙ (g − Σ g·y); log-softmax: dx = g − e^y Σ g.
    static void SoftmaxBackward(Span<float> gx, ReadOnlySpan<float> y, ReadOnlySpan<float> g, int outer, int length, int inner, bool log)
    {
        for (int o = 0; o < outer; o++)
            for (int i = 0; i < inner; i++)
            {
                int start = o * length * inner + i;
                float dot = 0;
                for (int j = 0; j < length; j++)
                {
                    int k = start + j * inner;
                    dot += log ? g[k] : g[k] * y[k];
                }
                for (int j = 0; j < length; j++)
                {
                    int k = start + j * inner;
                    gx[k] += log ? g[k] - MathF.Exp(y[k]) * dot : y[k] * (g[k] - dot);
                }
            }
    }
}

public static partial class Functional
{
    /// <summary>
    /// Fused softmax cross-entropy of logits [N, C] with class-index targets [N] (floats holding integers) and
    /// label smoothing ε, reduced to a scalar: ℓ_i = (1 − ε)·(−log p_{i,y_i}) + (ε/C)·Σ_c(−log p_{i,c}), summed
    /// (<paramref name="mean"/> = false) or averaged over N. One node; the backward is
    /// dx_{i,c} = s·g·(p_{i,c} − (1 − ε)·[c = y_i] − ε/C) with s = 1/N or 1, from the saved probabilities.
    /// Equals CrossEntropyLoss(labelSmoothing: ε) with no class weights and no ignore index, which uses it.
    /// </summary>
    public static Tensor SoftmaxCrossEntropy(Tensor logits, Tensor target, float labelSmoothing = 0, bool mean = true)
    {
        const string op = "SoftmaxCrossEntropy";
        ArgumentNullException.ThrowIfNull(logits);
        ArgumentNullException.ThrowIfNull(target);
        if (logits.Rank != 2) throw new ArgumentException($"{op}: logits must be 2-D [N, C], got shape {Shape.Format(logits.ShapeRef)}");
        int n = logits.Dim(0), classes = logits.Dim(1);
        if (target.Rank != 1 || target.Dim(0) != n)
            throw new ArgumentException($"{op}: target must be class indices of shape [{n}], got shape {Shape.Format(target.ShapeRef)}");
        if (!(labelSmoothing >= 0 && labelSmoothing <= 1))
            throw new ArgumentException($"{op}: labelSmoothing must be in [0, 1], got {labelSmoothing}");
        // Saved for the backward in one pooled buffer: probabilities [N, C], then the N labels.
        var saved = BufferPool.Rent(n * classes + n);
        var t = target.Span;
        var x = logits.Span;
        double total = 0, hit = 1 - labelSmoothing, spread = labelSmoothing / classes;
        for (int i = 0; i < n; i++)
        {
            float v = t[i];
            if (v != MathF.Floor(v) || v < 0 || v >= classes)
            {
                BufferPool.Return(saved);
                string value = v.ToString(System.Globalization.CultureInfo.InvariantCulture);
                throw new ArgumentException(v != MathF.Floor(v)
                    ? $"CrossEntropyLoss: target {value} is not an integer class index"
                    : $"CrossEntropyLoss: target {value} is out of range for {classes} classes");
            }
            saved[n * classes + i] = v;
            var row = x.Slice(i * classes, classes);
            var p = saved.AsSpan(i * classes, classes);
            float max = TensorPrimitives.Max(row);
            TensorPrimitives.Subtract(row, max, p);
            TensorPrimitives.Exp(p, p);
            double sum = 0;
            for (int c = 0; c < classes; c++) sum += p[c];
            double lse = max + Math.Log(sum), sumLogP = 0;
            for (int c = 0; c < classes; c++) sumLogP += row[c] - lse;
            total -= hit * (row[(int)v] - lse);
            if (spread != 0) total -= spread * sumLogP; // without smoothing a −∞ logit elsewhere costs nothing (not 0·∞)
            TensorPrimitives.Multiply(p, (float)(1 / sum), p);
        }
        float scale = mean ? 1f / n : 1f;
        var y = Tensor.Scalar((float)(total * scale));
        if (!logits.Tracks) { BufferPool.Return(saved); return y; }
        return Tensor.Record(y, op, g =>
        {
            float gs = g[0] * scale, off = (float)spread, onHit = (float)hit;
            var dx = logits.GradSpan();
            for (int i = 0; i < n; i++)
            {
                var p = saved.AsSpan(i * classes, classes);
                var d = dx.Slice(i * classes, classes);
                for (int c = 0; c < classes; c++) d[c] += gs * (p[c] - off);
                d[(int)saved[n * classes + i]] -= gs * onHit;
            }
        }, [logits], saved: saved);
    }
}
