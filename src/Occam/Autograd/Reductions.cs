using System.Numerics.Tensors;
using Occam.Kernels;

namespace Occam;

// Sum is a primitive (SumTo); mean and variance are composed from it.
public partial class Tensor
{
    // The kept-dim shape, the squeezed shape and the element count of a reduction over dims (null or empty = all, as
    // PyTorch's x.sum([])).
    (int[] Keep, int[] Squeezed, int Count) ReductionShapes(int[]? dims, string op)
    {
        var reduce = new bool[Rank];
        if (Rank == 0)
        {
            // a 0-d tensor takes dim 0 or −1 and reduces nothing (as PyTorch: torch.tensor(3.).sum(0) is 3)
            foreach (int dim in dims ?? []) Occam.Shape.Dim(dim, Rank, op);
            return ([], [], 1);
        }
        if (dims == null || dims.Length == 0) Array.Fill(reduce, true);
        else
            foreach (int dim in dims)
            {
                int d = Occam.Shape.Dim(dim, Rank, op);
                if (reduce[d]) throw new ArgumentException($"{op}: dim {dim} appears twice in {Occam.Shape.Format(dims)}");
                reduce[d] = true;
            }
        var keep = new int[Rank];
        var squeezed = new List<int>();
        int count = 1;
        for (int i = 0; i < Rank; i++)
        {
            keep[i] = reduce[i] ? 1 : _shape[i];
            if (reduce[i]) count *= _shape[i];
            else squeezed.Add(_shape[i]);
        }
        return (keep, [.. squeezed], count);
    }

    /// <summary>Sum over <paramref name="dims"/> (all when null or empty, as PyTorch).</summary>
    public Tensor Sum(int[]? dims = null, bool keepDim = false)
    {
        var (keep, squeezed, _) = ReductionShapes(dims, "Sum");
        // every reduced dim of size 1: a copy, as PyTorch's sum (SumTo would hand back this tensor itself)
        var s = Occam.Shape.Equal(keep, _shape) ? Mul(1f) : SumTo(keep);
        return keepDim ? s : s.Reshape(squeezed);
    }

    /// <summary>Sum over one dim.</summary>
    public Tensor Sum(int dim, bool keepDim = false) => Sum([dim], keepDim);

    /// <summary>Mean over <paramref name="dims"/> (all when null).</summary>
    public Tensor Mean(int[]? dims = null, bool keepDim = false)
    {
        var (_, _, count) = ReductionShapes(dims, "Mean");
        return Sum(dims, keepDim).Div(count);
    }

    /// <summary>Mean over one dim.</summary>
    public Tensor Mean(int dim, bool keepDim = false) => Mean([dim], keepDim);

    /// <summary>Variance over <paramref name="dims"/>: Σ(x − mean)²/(n − 1) when unbiased (PyTorch's default), /n otherwise;
    /// the divisor is max(n − 1, 0), as PyTorch, so one element (unbiased) or none gives NaN.</summary>
    public Tensor Var(int[]? dims = null, bool unbiased = true, bool keepDim = false)
    {
        var (_, _, count) = ReductionShapes(dims, "Var");
        var centered = this - Mean(dims, keepDim: true);
        return centered.Pow(2f).Sum(dims, keepDim).Div(unbiased ? Math.Max(count - 1, 0) : count);
    }

    /// <summary>Standard deviation over <paramref name="dims"/>: √<see cref="Var"/> (unbiased by default, as torch.std); where
    /// it is 0 its gradient is 0, as PyTorch's (not ∞·0).</summary>
    public Tensor Std(int[]? dims = null, bool unbiased = true, bool keepDim = false) =>
        Var(dims, unbiased, keepDim).Map("Std", TensorPrimitives.Sqrt, new StdGradOp());

    /// <summary>log Σ exp over <paramref name="dims"/> (all when null or empty), computed as m + log Σ exp(x − m) with m the
    /// maximum, so large inputs do not overflow (torch.logsumexp); the gradient is softmax(x).</summary>
    public Tensor LogSumExp(int[]? dims = null, bool keepDim = false)
    {
        var (keep, squeezed, count) = ReductionShapes(dims, "LogSumExp");
        if (count == 0) return Sum(dims, keepDim).Add(float.NegativeInfinity); // log of an empty sum, as PyTorch
        // the shift m is a constant for the gradient (it cancels), taken per reduced group; ±∞ maxima shift by 0
        var shift = Detach();
        var all = dims == null || dims.Length == 0 ? Enumerable.Range(0, Rank).ToArray() : dims;
        foreach (int d in all.Select(d => Occam.Shape.Dim(d, Rank, "LogSumExp")).OrderDescending()) shift = shift.Max(d, keepDim: true);
        shift = shift.Clone(); // its own storage, which the next lines may change
        var finite = shift.Span;
        for (int i = 0; i < finite.Length; i++) if (!float.IsFinite(finite[i])) finite[i] = 0;
        var result = (this - shift).Exp().Sum(dims, keepDim: true).Log() + shift;
        return keepDim ? result : result.Reshape(squeezed);
    }

    /// <summary>Minimum values along <paramref name="dim"/>; the gradient goes to the first minimal element.</summary>
    public Tensor Min(int dim, bool keepDim = false) => Neg().MaxAlongDim(dim, keepDim, "Min").Neg();

    /// <summary>Minimum of all elements (0-d); the gradient is shared evenly between the minimal elements, as torch.min(x).</summary>
    public Tensor Min() => Neg().MaxOfAll("Min").Neg();

    /// <summary>Index of the first minimum along <paramref name="dim"/>, as floats; over all elements (flat index) when null.</summary>
    public Tensor Argmin(int? dim = null, bool keepDim = false) => Detach().Neg().ArgmaxCore(dim, keepDim, "Argmin");

    /// <summary>Maximum values along <paramref name="dim"/>; the gradient goes to the first maximal element.</summary>
    public Tensor Max(int dim, bool keepDim = false) => MaxAlongDim(dim, keepDim, "Max");

    Tensor MaxAlongDim(int dim, bool keepDim, string op)
    {
        var (values, indices, outer, length, inner) = MaxAlong(dim, keepDim, op);
        if (!Tracks) return values;
        var x = this;
        return Record(values, "Max", g =>
        {
            var gx = x.GradSpan();
            for (int o = 0; o < outer; o++)
                for (int i = 0; i < inner; i++)
                    gx[(o * length + indices[o * inner + i]) * inner + i] += g[o * inner + i];
        }, [x]);
    }

    /// <summary>Maximum of all elements (0-d); the gradient is shared evenly between the maximal elements, as torch.max(x)
    /// (NaN is the maximum when there is one).</summary>
    public Tensor Max() => MaxOfAll("Max");

    Tensor MaxOfAll(string op)
    {
        var values = Reshape(Size).Detach().MaxAlongDim(0, keepDim: false, op);
        if (!Tracks) return values;
        var x = this;
        float max = values.Item();
        return Record(values, "Max", g =>
        {
            var xs = x.Span;
            bool nan = float.IsNaN(max);
            int ties = 0;
            foreach (float v in xs) if (v == max || (nan && float.IsNaN(v))) ties++;
            var gx = x.GradSpan();
            float share = g[0] / ties;
            for (int i = 0; i < xs.Length; i++)
                if (xs[i] == max || (nan && float.IsNaN(xs[i]))) gx[i] += share;
        }, [x]);
    }

    /// <summary>Index of the first maximum along <paramref name="dim"/>, as floats; over all elements (flat index) when null.</summary>
    public Tensor Argmax(int? dim = null, bool keepDim = false) => ArgmaxCore(dim, keepDim, "Argmax");

    Tensor ArgmaxCore(int? dim, bool keepDim, string op)
    {
        if (dim == null)
        {
            var flat = Detach().Reshape(Size).ArgmaxCore(0, keepDim: false, op);
            return keepDim ? flat.Reshape(Enumerable.Repeat(1, Rank).ToArray()) : flat;
        }
        var (_, indices, _, _, _) = MaxAlong(dim.Value, keepDim, op);
        var shape = ReductionShapes([dim.Value], op);
        var y = Zeros(keepDim ? shape.Keep : shape.Squeezed);
        var dst = y.Span;
        for (int i = 0; i < indices.Length; i++) dst[i] = indices[i];
        return y;
    }

    (Tensor Values, int[] Indices, int Outer, int Length, int Inner) MaxAlong(int dim, bool keepDim, string op)
    {
        if (Rank == 0) return dim is 0 or -1 ? MaxAlongScalar(keepDim) : throw new ArgumentException($"{op}: dim {dim} is out of range for a 0-d tensor (expected -1 or 0)");
        int d = Occam.Shape.Dim(dim, Rank, op);
        int outer = 1, inner = 1, length = _shape[d];
        if (length == 0) throw new ArgumentException($"{op}: cannot reduce over dim {dim} of size 0");
        for (int i = 0; i < d; i++) outer *= _shape[i];
        for (int i = d + 1; i < Rank; i++) inner *= _shape[i];
        var (keep, squeezed, _) = ReductionShapes([d], op);
        var values = Empty(keepDim ? keep : squeezed);
        var indices = new int[outer * inner];
        Reduce.MaxAlong(Span, outer, length, inner, values.Span, indices);
        return (values, indices, outer, length, inner);
    }

    (Tensor, int[], int, int, int) MaxAlongScalar(bool keepDim)
    {
        var values = Empty([]);
        values.Span[0] = Span[0];
        return (values, [0], 1, 1, 1);
    }
}
