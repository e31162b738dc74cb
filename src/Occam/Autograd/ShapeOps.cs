using Occam.Kernels;

namespace Occam;

// Views (reshape, flatten, unsqueeze, squeeze) share storage; permutes, concatenation,
// row gathers and selections copy.
public partial class Tensor
{
    /// <summary>A view with a new shape of the same size; one dim may be −1 (inferred).</summary>
    public Tensor Reshape(params int[] shape)
    {
        shape = (int[])shape.Clone();
        int infer = -1, known = 1;
        for (int i = 0; i < shape.Length; i++)
        {
            if (shape[i] == -1)
            {
                if (infer >= 0) throw new ArgumentException($"Reshape: only one dim can be -1, got {Occam.Shape.Format(shape)}");
                infer = i;
            }
            else if (shape[i] < 0) throw new ArgumentException($"Reshape: invalid dim {shape[i]} in {Occam.Shape.Format(shape)}");
            else known *= shape[i];
        }
        if (infer >= 0)
        {
            if (known == 0 || Size % known != 0)
                throw new ArgumentException($"Reshape: shape {Occam.Shape.Format(shape)} is invalid for a tensor of {Size} elements {Occam.Shape.Format(_shape)}");
            shape[infer] = Size / known;
            known = Size;
        }
        if (known != Size)
            throw new ArgumentException($"Reshape: shape {Occam.Shape.Format(shape)} is invalid for a tensor of {Size} elements {Occam.Shape.Format(_shape)}");
        return View(shape, "Reshape");
    }

    Tensor View(int[] shape, string op)
    {
        if (Storage.Released) ThrowReleased();
        var y = new Tensor(Storage, shape);
        if (!Tracks) return y;
        var x = this;
        return Record(y, op, g => x.TakeViewGradient(y, g), [x], view: true);
    }

    /// <summary>Flattens dims startDim..endDim into one (view); default keeps dim 0, as nn.Flatten.</summary>
    public Tensor Flatten(int startDim = 0, int endDim = -1)
    {
        if (Rank == 0)
        {
            // a scalar flattens to [1] (torch.flatten); its only dims are 0 and −1
            if (startDim is not (0 or -1) || endDim is not (0 or -1))
                throw new ArgumentOutOfRangeException(nameof(startDim), $"Flatten: a 0-d tensor has only dims 0 and -1, got startDim {startDim} and endDim {endDim}");
            return View([1], "Flatten");
        }
        int s = Occam.Shape.Dim(startDim, Rank, "Flatten"), e = Occam.Shape.Dim(endDim, Rank, "Flatten");
        if (s > e) throw new ArgumentException($"Flatten: startDim {startDim} comes after endDim {endDim}");
        var shape = new int[Rank - (e - s)];
        int merged = 1;
        for (int i = s; i <= e; i++) merged *= _shape[i];
        for (int i = 0, j = 0; i < Rank; i++)
        {
            if (i < s || i > e) shape[j++] = _shape[i];
            else if (i == s) shape[j++] = merged;
        }
        return View(shape, "Flatten");
    }

    /// <summary>Inserts a dim of size 1 at <paramref name="dim"/> (view).</summary>
    public Tensor Unsqueeze(int dim)
    {
        int d = Occam.Shape.Dim(dim, Rank + 1, "Unsqueeze");
        var shape = new List<int>(_shape);
        shape.Insert(d, 1);
        return View([.. shape], "Unsqueeze");
    }

    /// <summary>Removes dims of size 1: all of them, or only <paramref name="dim"/> (view).</summary>
    public Tensor Squeeze(int? dim = null)
    {
        if (dim is int one)
        {
            int d = Occam.Shape.Dim(one, Rank, "Squeeze");
            if (Rank == 0 || _shape[d] != 1) return View(_shape, "Squeeze");
            var shape = new List<int>(_shape);
            shape.RemoveAt(d);
            return View([.. shape], "Squeeze");
        }
        return View(_shape.Where(s => s != 1).ToArray(), "Squeeze");
    }

    /// <summary>Swaps two dims (copy).</summary>
    public Tensor Transpose(int dim0, int dim1)
    {
        var perm = Enumerable.Range(0, Rank).ToArray();
        int a = Occam.Shape.Dim(dim0, Rank, "Transpose"), b = Occam.Shape.Dim(dim1, Rank, "Transpose");
        if (Rank == 0) return Permute(); // a 0-d tensor has one "dim" for indexing (0 or −1), as PyTorch
        (perm[a], perm[b]) = (perm[b], perm[a]);
        return Permute(perm);
    }

    /// <summary>Reorders dims: output dim i is input dim dims[i] (copy).</summary>
    public Tensor Permute(params int[] dims)
    {
        if (dims.Length != Rank) throw new ArgumentException($"Permute: {dims.Length} dims given for a tensor of rank {Rank}");
        var perm = new int[Rank];
        var seen = new bool[Rank];
        for (int i = 0; i < Rank; i++)
        {
            int d = Occam.Shape.Dim(dims[i], Rank, "Permute");
            if (seen[d]) throw new ArgumentException($"Permute: dim {dims[i]} repeats in {Occam.Shape.Format(dims)}");
            seen[d] = true;
            perm[i] = d;
        }
        var shape = new int[Rank];
        var inverse = new int[Rank];
        for (int i = 0; i < Rank; i++) { shape[i] = _shape[perm[i]]; inverse[perm[i]] = i; }
        var y = Empty(shape);
        Layout.Permute(Span, _shape, perm, y.Span, accumulate: false);
        if (!Tracks) return y;
        var x = this;
        return Record(y, "Permute", g => Layout.Permute(g, shape, inverse, x.GradSpan(), accumulate: true), [x]);
    }

    /// <summary>Rows (entries of dim 0) at <paramref name="indices"/>, in that order (copy) — for batching and embeddings.</summary>
    public Tensor IndexRows(ReadOnlySpan<int> indices)
    {
        if (Rank == 0) throw new ArgumentException("IndexRows: cannot index rows of a 0-d tensor");
        int rows = _shape[0], row = rows == 0 ? 0 : Size / rows;
        var idx = indices.ToArray();
        foreach (int i in idx)
            if ((uint)i >= (uint)rows) throw new IndexOutOfRangeException($"IndexRows: index {i} is out of range for dim 0 of size {rows}");
        var shape = (int[])_shape.Clone();
        shape[0] = idx.Length;
        var y = Empty(shape);
        var src = Span;
        var dst = y.Span;
        for (int r = 0; r < idx.Length; r++) src.Slice(idx[r] * row, row).CopyTo(dst.Slice(r * row, row));
        if (!Tracks) return y;
        var x = this;
        return Record(y, "IndexRows", g =>
        {
            var gx = x.GradSpan();
            for (int r = 0; r < idx.Length; r++) Layout.Copy(g.Slice(r * row, row), gx.Slice(idx[r] * row, row), accumulate: true);
        }, [x]);
    }

    /// <summary>Joins tensors of one shape along a new dim <paramref name="dim"/> (torch.stack): Cat of each
    /// unsqueezed at that dim.</summary>
    public static Tensor Stack(Tensor[] tensors, int dim = 0)
    {
        ArgumentNullException.ThrowIfNull(tensors);
        if (tensors.Length == 0) throw new ArgumentException("Stack: needs at least one tensor");
        CheckNotNull(tensors, "Stack");
        var first = tensors[0]._shape;
        for (int i = 1; i < tensors.Length; i++)
            if (!Occam.Shape.Equal(tensors[i]._shape, first))
                throw new ArgumentException($"Stack: tensor {i} has shape {Occam.Shape.Format(tensors[i]._shape)}, tensor 0 {Occam.Shape.Format(first)}; all must match");
        int d = Occam.Shape.Dim(dim, first.Length + 1, "Stack");
        return Cat(tensors.Select(t => t.Unsqueeze(d)).ToArray(), d);
    }

    static void CheckNotNull(Tensor[] tensors, string op)
    {
        for (int i = 0; i < tensors.Length; i++)
            if (tensors[i] is null) throw new ArgumentNullException(nameof(tensors), $"{op}: tensor {i} is null");
    }

    /// <summary>Concatenates tensors along <paramref name="dim"/>; all other dims must match.</summary>
    public static Tensor Cat(Tensor[] tensors, int dim = 0)
    {
        ArgumentNullException.ThrowIfNull(tensors);
        if (tensors.Length == 0) throw new ArgumentException("Cat: needs at least one tensor");
        CheckNotNull(tensors, "Cat");
        var first = tensors[0]._shape;
        for (int i = 0; i < tensors.Length; i++)
            if (tensors[i].Rank == 0) throw new ArgumentException($"Cat: tensor {i} is 0-d, which cannot be concatenated (Unsqueeze it first)");
        int d = Occam.Shape.Dim(dim, first.Length, "Cat");
        var shape = (int[])first.Clone();
        shape[d] = 0;
        foreach (var t in tensors)
        {
            bool ok = t.Rank == first.Length;
            for (int i = 0; ok && i < first.Length; i++) ok = i == d || t._shape[i] == first[i];
            if (!ok) throw new ArgumentException($"Cat: shapes {Occam.Shape.Format(first)} and {Occam.Shape.Format(t._shape)} differ outside dim {dim}");
            shape[d] += t._shape[d];
        }
        int outer = 1;
        for (int i = 0; i < d; i++) outer *= first[i];
        int outRow = shape.Length == 0 ? 0 : Occam.Shape.Size(shape) / Math.Max(outer, 1);
        var y = Empty(shape);
        var dst = y.Span;
        int offset = 0;
        var chunks = new int[tensors.Length];
        for (int k = 0; k < tensors.Length; k++)
        {
            int chunk = outer == 0 ? 0 : tensors[k].Size / outer;
            chunks[k] = chunk;
            var src = tensors[k].Span;
            for (int o = 0; o < outer; o++) src.Slice(o * chunk, chunk).CopyTo(dst.Slice(o * outRow + offset, chunk));
            offset += chunk;
        }
        if (!tensors.Any(t => t.Tracks)) return y;
        var inputs = (Tensor[])tensors.Clone();
        return Record(y, "Cat", g =>
        {
            int off = 0;
            for (int k = 0; k < inputs.Length; k++)
            {
                int chunk = chunks[k];
                if (inputs[k].RequiresGrad)
                {
                    var gx = inputs[k].GradSpan();
                    for (int o = 0; o < outer; o++) Layout.Copy(g.Slice(o * outRow + off, chunk), gx.Slice(o * chunk, chunk), accumulate: true);
                }
                off += chunk;
            }
        }, inputs);
    }

    /// <summary>cond ≠ 0 ? a : b, element-wise with broadcasting of all three.</summary>
    public static Tensor Where(Tensor condition, Tensor a, Tensor b)
    {
        var shape = Occam.Shape.Broadcast(Occam.Shape.Broadcast(condition._shape, a._shape, "Where"), b._shape, "Where");
        Tensor c;
        using (Autograd.NoGrad()) c = condition.ExpandTo(shape);
        a = a.ExpandTo(shape);
        b = b.ExpandTo(shape);
        var y = Empty(shape);
        Span<float> sc = c.Span, sa = a.Span, sb = b.Span, sy = y.Span;
        for (int i = 0; i < sy.Length; i++) sy[i] = sc[i] != 0 ? sa[i] : sb[i];
        if (!a.Tracks && !b.Tracks) return y;
        return Record(y, "Where", g =>
        {
            var m = c.Span;
            if (a.RequiresGrad) { var ga = a.GradSpan(); for (int i = 0; i < ga.Length; i++) if (m[i] != 0) ga[i] += g[i]; }
            if (b.RequiresGrad) { var gb = b.GradSpan(); for (int i = 0; i < gb.Length; i++) if (m[i] == 0) gb[i] += g[i]; }
        }, [a, b]);
    }

    /// <summary>Replaces elements where <paramref name="mask"/> ≠ 0 (broadcast) by <paramref name="value"/>.</summary>
    public Tensor MaskedFill(Tensor mask, float value)
    {
        if (!Occam.Shape.BroadcastsTo(mask._shape, _shape))
            throw new ArgumentException($"MaskedFill: mask of shape {Occam.Shape.Format(mask._shape)} does not broadcast to {Occam.Shape.Format(_shape)}");
        return Where(mask, Scalar(value), this);
    }

    /// <summary>One-hot encoding of integer class indices (stored as floats): shape [..., numClasses].</summary>
    public static Tensor OneHot(Tensor indices, int numClasses)
    {
        if (numClasses < 1) throw new ArgumentException($"OneHot: numClasses must be positive, got {numClasses}");
        var src = indices.Span;
        var y = Zeros([.. indices._shape, numClasses]);
        var dst = y.Span;
        for (int i = 0; i < src.Length; i++)
        {
            float v = src[i];
            if (v != MathF.Floor(v) || v < 0 || v >= numClasses)
                throw new ArgumentException($"OneHot: class index {v} is not an integer in [0, {numClasses})");
            dst[i * numClasses + (int)v] = 1;
        }
        return y;
    }
}
