using Occam.Kernels;

namespace Occam;

/// <summary>How values beyond a tensor's edge are made up when it is padded (torch.nn.functional.pad's modes):
/// a constant, the mirror image without the edge (reflect: 2 1 | 0 1 2 3 | 2 1), the edge repeated
/// (replicate: 0 0 | 0 1 2 3 | 3 3), or the other side (circular: 2 3 | 0 1 2 3 | 0 1).</summary>
public enum PaddingMode { Constant, Reflect, Replicate, Circular }

public partial class Tensor
{
    /// <summary>
    /// Pads the last dims, as torch.nn.functional.pad: <paramref name="padding"/> holds (before, after) pairs from the
    /// last dim backwards — (left, right) pads the last dim, (left, right, top, bottom) the last two. Differentiable: each
    /// input element's gradient sums the gradients of every output position that copies it. Reflect needs each pad
    /// below the dim's size, circular at most the size; <paramref name="value"/> is for constant padding only.
    /// </summary>
    public Tensor Pad(int[] padding, PaddingMode mode = PaddingMode.Constant, float value = 0)
    {
        ArgumentNullException.ThrowIfNull(padding);
        if (!Enum.IsDefined(mode)) throw new ArgumentException($"Pad: unknown mode {(int)mode}; use Constant, Reflect, Replicate or Circular");
        if (padding.Length % 2 != 0 || padding.Length == 0)
            throw new ArgumentException($"Pad: padding must hold (before, after) pairs, got {padding.Length} values");
        if (padding.Length / 2 > Rank)
            throw new ArgumentException($"Pad: {padding.Length / 2} dims to pad, but the input of shape {Occam.Shape.Format(_shape)} has {Rank}");
        if (mode != PaddingMode.Constant && value != 0)
            throw new ArgumentException($"Pad: only constant padding takes a value, got {value} with {mode}");
        var maps = new int[Rank][];
        var shape = (int[])_shape.Clone();
        for (int k = 0; k < padding.Length / 2; k++)
        {
            int d = Rank - 1 - k, before = padding[2 * k], after = padding[2 * k + 1], n = _shape[d];
            if (before < 0 || after < 0) throw new ArgumentException($"Pad: padding must be non-negative, got {before} and {after} for dim {d}");
            int limit = mode switch { PaddingMode.Reflect => n - 1, PaddingMode.Circular => n, PaddingMode.Replicate => n == 0 ? 0 : int.MaxValue, _ => int.MaxValue };
            if ((before > 0 || after > 0) && (before > limit || after > limit))
                throw new ArgumentException($"Pad: {mode} padding of dim {d} (size {n}) must be at most {limit}, got {before} and {after}");
            shape[d] = n + before + after;
            maps[d] = new int[shape[d]];
            for (int i = 0; i < shape[d]; i++) maps[d][i] = SourceIndex(i - before, n, mode);
        }
        var rows = SourceRows(_shape, shape, maps);
        var columns = maps[^1];
        int inRow = _shape[^1], outRow = shape[^1];
        var y = Empty(shape);
        var src = Span;
        var dst = y.Span;
        for (int row = 0; row < rows.Length; row++)
        {
            var output = dst.Slice(row * outRow, outRow);
            if (rows[row] < 0) { output.Fill(value); continue; }
            var input = src.Slice(rows[row] * inRow, inRow);
            if (columns == null) input.CopyTo(output);
            else for (int j = 0; j < outRow; j++) output[j] = columns[j] < 0 ? value : input[columns[j]];
        }
        if (!Tracks) return y;
        var x = this;
        return Record(y, "Pad", g =>
        {
            var gx = x.GradSpan();
            for (int row = 0; row < rows.Length; row++)
            {
                if (rows[row] < 0) continue;
                var output = g.Slice(row * outRow, outRow);
                var input = gx.Slice(rows[row] * inRow, inRow);
                if (columns == null) Layout.Copy(output, input, accumulate: true);
                else for (int j = 0; j < outRow; j++) if (columns[j] >= 0) input[columns[j]] += output[j];
            }
        }, [x]);
    }

    /// <summary>The index along a dim of size <paramref name="n"/> that padded position <paramref name="i"/> (counted from
    /// the dim's start, negative before it) copies, or −1 where constant padding goes.</summary>
    internal static int SourceIndex(int i, int n, PaddingMode mode)
    {
        if ((uint)i < (uint)n) return i;
        return mode switch
        {
            PaddingMode.Reflect => i < 0 ? -i : 2 * (n - 1) - i,
            PaddingMode.Replicate => i < 0 ? 0 : n - 1,
            PaddingMode.Circular => (i % n + n) % n,
            _ => -1,
        };
    }

    // For every row of the last dim of the padded output, in order: the input row it copies, or −1 for a constant row.
    static int[] SourceRows(int[] inShape, int[] outShape, int[][] maps)
    {
        int rank = outShape.Length, count = 1;
        for (int d = 0; d < rank - 1; d++) count *= outShape[d];
        var rows = new int[count];
        var index = new int[Math.Max(rank - 1, 0)];
        for (int row = 0; row < count; row++)
        {
            int from = 0;
            for (int d = 0; d < rank - 1; d++)
            {
                int s = maps[d] == null ? index[d] : maps[d][index[d]];
                if (s < 0) { from = -1; break; }
                from = from * inShape[d] + s;
            }
            rows[row] = from;
            for (int d = rank - 2; d >= 0; d--)
            {
                if (++index[d] < outShape[d]) break;
                index[d] = 0;
            }
        }
        return rows;
    }
}
