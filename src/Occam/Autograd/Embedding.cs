using System.Numerics.Tensors;
using Occam.Kernels;

namespace Occam;

public static partial class Functional
{
    /// <summary>Rows of <paramref name="weight"/> [num, dim] at integer <paramref name="indices"/> (stored as floats):
    /// output [..., dim]. The row at <paramref name="paddingIndex"/> receives no gradient (torch.nn.functional.embedding);
    /// a negative one counts from the end (−1 is the last row). With <paramref name="maxNorm"/>, each looked-up row whose
    /// <paramref name="normType"/>-norm exceeds it is first scaled in place to that norm (·maxNorm/(norm + 1e-7), as
    /// PyTorch's max_norm), a max-norm constraint on the embeddings in use. With <paramref name="scaleGradByFreq"/> each
    /// row's gradient is divided by the number of times <paramref name="indices"/> holds it (scale_grad_by_freq).</summary>
    public static Tensor Embedding(Tensor indices, Tensor weight, int? paddingIndex = null, float? maxNorm = null, float normType = 2f,
        bool scaleGradByFreq = false)
    {
        ArgumentNullException.ThrowIfNull(indices);
        ArgumentNullException.ThrowIfNull(weight);
        if (weight.Rank != 2) throw new ArgumentException($"Embedding: weight must be 2-D [num, dim], got shape {Shape.Format(weight.ShapeRef)}");
        int num = weight.ShapeRef[0], dim = weight.ShapeRef[1];
        int? padding = PaddingRow("Embedding", paddingIndex, num);
        var rows = EmbeddingRows("Embedding", indices.Span, num);
        if (maxNorm is float limit) RenormRows("Embedding", weight, rows, limit, normType);
        var y = Tensor.Empty([.. indices.ShapeRef, dim]);
        var w = weight.Span;
        var dst = y.Span;
        for (int i = 0; i < rows.Length; i++) w.Slice(rows[i] * dim, dim).CopyTo(dst.Slice(i * dim, dim));
        if (!weight.Tracks) return y;
        return Tensor.Record(y, "Embedding", g =>
        {
            var gw = weight.GradSpan();
            var counts = scaleGradByFreq ? Frequencies(rows) : null;
            for (int i = 0; i < rows.Length; i++)
            {
                if (rows[i] == padding) continue;
                var target = gw.Slice(rows[i] * dim, dim);
                if (counts == null) Layout.Copy(g.Slice(i * dim, dim), target, accumulate: true);
                else TensorPrimitives.MultiplyAdd(g.Slice(i * dim, dim), 1f / counts[rows[i]], target, target);
            }
        }, [weight]);
    }

    /// <summary>The padding row of a table of <paramref name="num"/> rows: a negative index counts from the end.</summary>
    static int? PaddingRow(string op, int? paddingIndex, int num)
    {
        if (paddingIndex is int p && (p < -num || p >= num))
            throw new ArgumentException($"{op}: paddingIndex {p} is out of range for {num} embeddings");
        return paddingIndex < 0 ? paddingIndex + num : paddingIndex;
    }

    /// <summary>The rows of a [num, dim] table that integer <paramref name="indices"/> (stored as floats) name; an index
    /// that is not a whole number in [0, num) is refused, naming <paramref name="op"/>.</summary>
    static int[] EmbeddingRows(string op, ReadOnlySpan<float> indices, int num)
    {
        var rows = new int[indices.Length];
        for (int i = 0; i < rows.Length; i++)
        {
            float v = indices[i];
            if (v != MathF.Floor(v)) throw new ArgumentException($"{op}: index {v} is not a whole number");
            if (v < 0 || v >= num) throw new ArgumentException($"{op}: index {v} is out of range for {num} embeddings");
            rows[i] = (int)v;
        }
        return rows;
    }

    /// <summary>PyTorch's max_norm: each of <paramref name="rows"/> whose <paramref name="normType"/>-norm exceeds
    /// <paramref name="limit"/> is scaled in place by limit/(norm + 1e-7).</summary>
    static void RenormRows(string op, Tensor weight, int[] rows, float limit, float normType)
    {
        if (!(limit >= 0)) throw new ArgumentException($"{op}: maxNorm must be non-negative, got {limit}");
        if (!(normType > 0)) throw new ArgumentException($"{op}: normType must be positive, got {normType}");
        int dim = weight.ShapeRef[1];
        var data = weight.Span;
        bool changed = false;
        foreach (int r in rows.Distinct())
        {
            var row = data.Slice(r * dim, dim);
            double norm;
            if (float.IsPositiveInfinity(normType)) norm = TensorPrimitives.MaxMagnitude<float>(row) is var m ? Math.Abs(m) : 0;
            else
            {
                double sum = 0;
                foreach (float v in row) sum += Math.Pow(Math.Abs(v), normType);
                norm = Math.Pow(sum, 1.0 / normType);
            }
            if (norm > limit)
            {
                float scale = (float)(limit / (norm + 1e-7));
                for (int j = 0; j < dim; j++) row[j] *= scale;
                changed = true;
            }
        }
        if (changed) weight.Storage.Version++; // a graph that used these rows before can no longer be differentiated
    }

    /// <summary>How many times each row occurs in <paramref name="rows"/> (scale_grad_by_freq).</summary>
    static Dictionary<int, int> Frequencies(int[] rows)
    {
        var counts = new Dictionary<int, int>();
        foreach (int r in rows) counts[r] = counts.GetValueOrDefault(r) + 1;
        return counts;
    }

    /// <summary>Average pooling to a fixed output size (torch.nn.functional.adaptive_avg_pool2d):
    /// output cell i covers input rows ⌊i·H/oh⌋ … ⌈(i+1)·H/oh⌉ − 1, and likewise for columns.</summary>
    public static Tensor AdaptiveAvgPool2d(Tensor input, (int H, int W) outputSize)
    {
        ArgumentNullException.ThrowIfNull(input);
        if (input.Rank != 4) throw new ArgumentException($"AdaptiveAvgPool2d: input must be 4-D [N, C, H, W], got shape {Shape.Format(input.ShapeRef)}");
        var (oh, ow) = outputSize;
        if (oh < 1 || ow < 1) throw new ArgumentException($"AdaptiveAvgPool2d: output size must be positive, got [{oh}, {ow}]");
        int planes = input.ShapeRef[0] * input.ShapeRef[1], h = input.ShapeRef[2], w = input.ShapeRef[3];
        var y = Tensor.Empty([input.ShapeRef[0], input.ShapeRef[1], oh, ow]);
        var x = input.Span;
        var dst = y.Span;
        for (int p = 0; p < planes; p++)
            for (int i = 0; i < oh; i++)
                for (int j = 0; j < ow; j++)
                {
                    var (h0, h1, w0, w1) = Cell(i, j);
                    float s = 0;
                    for (int a = h0; a < h1; a++)
                        for (int b = w0; b < w1; b++) s += x[(p * h + a) * w + b];
                    dst[(p * oh + i) * ow + j] = s / ((h1 - h0) * (w1 - w0));
                }
        if (!input.Tracks) return y;
        return Tensor.Record(y, "AdaptiveAvgPool2d", g =>
        {
            var gx = input.GradSpan();
            for (int p = 0; p < planes; p++)
                for (int i = 0; i < oh; i++)
                    for (int j = 0; j < ow; j++)
                    {
                        var (h0, h1, w0, w1) = Cell(i, j);
                        float share = g[(p * oh + i) * ow + j] / ((h1 - h0) * (w1 - w0));
                        for (int a = h0; a < h1; a++)
                            for (int b = w0; b < w1; b++) gx[(p * h + a) * w + b] += share;
                    }
        }, [input]);

        (int, int, int, int) Cell(int i, int j) =>
            (i * h / oh, ((i + 1) * h + oh - 1) / oh, j * w / ow, ((j + 1) * w + ow - 1) / ow);
    }
}
