using System.Numerics.Tensors;

namespace Occam;

/// <summary>How <see cref="Functional.EmbeddingBag"/> reduces the rows of a bag (PyTorch's mode).</summary>
public enum EmbeddingBagMode { Sum, Mean, Max }

public static partial class Functional
{
    /// <summary>
    /// The sum, mean or max of the embedding rows of each bag of integer indices (stored as floats), without forming
    /// the [bags, length, dim] lookup: output [bags, dim] (torch.nn.functional.embedding_bag). Bags are the rows of a
    /// 2-D <paramref name="input"/> [bags, length], or, for a 1-D input, the runs that start at each of
    /// <paramref name="offsets"/> (the first must be 0; with <paramref name="includeLastOffset"/> the last offset
    /// is the input's size, ending the last bag, as in the CSR format). Entries equal to <paramref name="paddingIndex"/>
    /// are left out of the reduction (a mean divides by the other entries); a bag with none left gives zeros.
    /// <paramref name="perSampleWeights"/> (the input's shape, Sum only) scales each row before the sum and gets a
    /// gradient too. <paramref name="maxNorm"/> is <see cref="Embedding(Tensor, Tensor, int?, float?, float, bool)"/>'s.
    /// (PyTorch's scale_grad_by_freq is left out: PyTorch 1.13's embedding_bag divides by other counts than each
    /// index's frequency, e.g. every row by 3 for rows seen 2, 3 and 4 times.)
    /// </summary>
    public static Tensor EmbeddingBag(Tensor input, Tensor weight, Tensor? offsets = null, EmbeddingBagMode mode = EmbeddingBagMode.Mean,
        int? paddingIndex = null, Tensor? perSampleWeights = null, float? maxNorm = null, float normType = 2f, bool includeLastOffset = false)
    {
        const string op = "EmbeddingBag";
        ArgumentNullException.ThrowIfNull(input);
        ArgumentNullException.ThrowIfNull(weight);
        if (weight.Rank != 2) throw new ArgumentException($"{op}: weight must be 2-D [num, dim], got shape {Shape.Format(weight.ShapeRef)}");
        if (!Enum.IsDefined(mode)) throw new ArgumentException($"{op}: unknown mode {mode}");
        int num = weight.ShapeRef[0], dim = weight.ShapeRef[1];
        int? padding = PaddingRow(op, paddingIndex, num);
        var starts = BagStarts(op, input, offsets, includeLastOffset);
        int bags = starts.Length - 1;
        if (perSampleWeights != null)
        {
            if (mode != EmbeddingBagMode.Sum)
                throw new ArgumentException($"{op}: perSampleWeights needs mode Sum, got {mode}");
            if (!perSampleWeights.ShapeRef.SequenceEqual(input.ShapeRef))
                throw new ArgumentException($"{op}: perSampleWeights has shape {Shape.Format(perSampleWeights.ShapeRef)}, the input {Shape.Format(input.ShapeRef)}");
        }
        var rows = EmbeddingRows(op, input.Span, num);
        if (maxNorm is float limit) RenormRows(op, weight, rows, limit, normType);

        var y = Tensor.Zeros([bags, dim]);
        var w = weight.Span;
        var dst = y.Span;
        var psw = perSampleWeights?.ToArray(); // read again by backward
        var argmax = mode == EmbeddingBagMode.Max ? new int[bags * dim] : null; // the entry each max came from; −1 for none
        var counts = new int[bags]; // entries that are not padding
        for (int b = 0; b < bags; b++)
        {
            var sum = dst.Slice(b * dim, dim);
            for (int i = starts[b]; i < starts[b + 1]; i++)
            {
                if (rows[i] == padding) continue;
                var row = w.Slice(rows[i] * dim, dim);
                if (argmax != null)
                    for (int d = 0; d < dim; d++)
                    {
                        if (counts[b] == 0 || row[d] > sum[d]) { sum[d] = row[d]; argmax[b * dim + d] = i; }
                    }
                else if (psw != null) TensorPrimitives.MultiplyAdd(row, psw[i], sum, sum);
                else TensorPrimitives.Add(sum, row, sum);
                counts[b]++;
            }
            if (counts[b] == 0 && argmax != null) argmax.AsSpan(b * dim, dim).Fill(-1);
            if (mode == EmbeddingBagMode.Mean && counts[b] > 0) TensorPrimitives.Divide(sum, counts[b], sum);
        }
        bool weightTracks = weight.Tracks, pswTracks = perSampleWeights?.Tracks ?? false;
        if (!weightTracks && !pswTracks) return y;
        var bagOf = new int[rows.Length];
        for (int b = 0; b < bags; b++) bagOf.AsSpan(starts[b], starts[b + 1] - starts[b]).Fill(b);
        Tensor[] inputs = pswTracks ? [weight, perSampleWeights!] : [weight];
        return Tensor.Record(y, op, g =>
        {
            if (pswTracks)
            {
                // d(perSampleWeights[i]) = g[bag]·row: the bag's gradient against the row the entry scaled
                var gp = perSampleWeights!.GradSpan();
                var wd = weight.Span;
                for (int i = 0; i < rows.Length; i++)
                    if (rows[i] != padding) gp[i] += TensorPrimitives.Dot(g.Slice(bagOf[i] * dim, dim), wd.Slice(rows[i] * dim, dim));
            }
            if (!weightTracks) return;
            var gw = weight.GradSpan();
            if (argmax != null)
            {
                for (int b = 0; b < bags; b++)
                    for (int d = 0; d < dim; d++)
                        if (argmax[b * dim + d] is int i and >= 0) gw[rows[i] * dim + d] += g[b * dim + d];
                return;
            }
            for (int i = 0; i < rows.Length; i++)
            {
                if (rows[i] == padding) continue;
                int b = bagOf[i];
                float scale = psw != null ? psw[i] : 1f;
                if (mode == EmbeddingBagMode.Mean) scale /= counts[b];
                var target = gw.Slice(rows[i] * dim, dim);
                TensorPrimitives.MultiplyAdd(g.Slice(b * dim, dim), scale, target, target);
            }
        }, inputs);
    }

    /// <summary>Where each bag starts in the flattened input, plus its end: the rows of a 2-D input, or the offsets of
    /// a 1-D one (checked as PyTorch checks them).</summary>
    static int[] BagStarts(string op, Tensor input, Tensor? offsets, bool includeLastOffset)
    {
        if (input.Rank == 2)
        {
            if (offsets != null) throw new ArgumentException($"{op}: offsets go with a 1-D input; a 2-D input's rows are its bags");
            int bags = input.ShapeRef[0], length = input.ShapeRef[1];
            var rowStarts = new int[bags + 1];
            for (int b = 0; b <= bags; b++) rowStarts[b] = b * length;
            return rowStarts;
        }
        if (input.Rank != 1) throw new ArgumentException($"{op}: input must be 1-D (with offsets) or 2-D [bags, length], got shape {Shape.Format(input.ShapeRef)}");
        if (offsets == null) throw new ArgumentException($"{op}: a 1-D input needs offsets, the start of each bag");
        if (offsets.Rank != 1) throw new ArgumentException($"{op}: offsets must be 1-D, got shape {Shape.Format(offsets.ShapeRef)}");
        var o = offsets.Span;
        int count = includeLastOffset ? o.Length - 1 : o.Length;
        if (count < 0 || (includeLastOffset && o.Length == 0))
            throw new ArgumentException($"{op}: includeLastOffset needs at least one offset, got none");
        var starts = new int[count + 1];
        for (int b = 0; b < o.Length; b++)
        {
            float v = o[b];
            if (v != MathF.Floor(v) || v < 0 || v > input.Size)
                throw new ArgumentException($"{op}: offset {v} at {b} is not a whole number in [0, {input.Size}]");
            if (b == 0 && v != 0) throw new ArgumentException($"{op}: the first offset must be 0, got {v}");
            if (b > 0 && v < o[b - 1]) throw new ArgumentException($"{op}: offsets must not decrease, got {o[b - 1]} then {v} at {b}");
            if (b <= count) starts[b] = (int)v;
        }
        if (!includeLastOffset) starts[count] = input.Size;
        else if (starts[count] != input.Size) // PyTorch's CSR form; PyTorch 1.13 runs its last bag to the end regardless
            throw new ArgumentException($"{op}: with includeLastOffset the last offset must be the input's size {input.Size}, got {starts[count]}");
        return starts;
    }
}
