using System.Numerics.Tensors;
using Occam.Kernels;

namespace Occam;

// Matrix products on the SGEMM kernel; backward uses its transposed variants, never a transposed copy.
public partial class Tensor
{
    /// <summary>Matrix product with torch.matmul's rules: 1-D operands are promoted (and the dim
    /// removed after), batch dims broadcast.</summary>
    public Tensor MatMul(Tensor other)
    {
        ArgumentNullException.ThrowIfNull(other);
        if (Rank == 0 || other.Rank == 0)
            throw new ArgumentException($"MatMul: both operands need at least 1 dim, got shapes {Occam.Shape.Format(_shape)} and {Occam.Shape.Format(other._shape)}");
        if (Rank == 1 && other.Rank == 1) return Unsqueeze(0).MatMul(other.Unsqueeze(1)).Reshape();
        if (Rank == 1) return Unsqueeze(0).MatMul(other).Squeeze(-2);
        if (other.Rank == 1) return MatMul(other.Unsqueeze(1)).Squeeze(-1);

        int m = _shape[^2], k = _shape[^1], k2 = other._shape[^2], n = other._shape[^1];
        if (k != k2)
            throw new ArgumentException($"MatMul: shapes {Occam.Shape.Format(_shape)} and {Occam.Shape.Format(other._shape)} cannot be multiplied ({k} ≠ {k2})");
        if (other.Rank == 2)
        {
            // [..., m, k]·[k, n]: one GEMM over all rows.
            var rows = Rank == 2 ? this : Reshape(k == 0 ? Occam.Shape.Size(_shape[..^1]) : Size / k, k); // not −1: k may be 0
            var y2 = Bmm(rows.Unsqueeze(0), other.Unsqueeze(0), "MatMul");
            return y2.Reshape([.. _shape[..^1], n]);
        }
        var batchA = _shape[..^2];
        var batchB = other._shape[..^2];
        var batch = Occam.Shape.Broadcast(batchA, batchB, "MatMul");
        int b = Occam.Shape.Size(batch);
        var a3 = ExpandTo([.. batch, m, k]).Reshape(b, m, k);
        var b3 = other.ExpandTo([.. batch, k, n]).Reshape(b, k, n);
        return Bmm(a3, b3, "MatMul").Reshape([.. batch, m, n]);
    }

    // [b, m, k]·[b, k, n] → [b, m, n]; a batch of 1 on the right is shared by every left batch.
    static Tensor Bmm(Tensor a, Tensor b, string op)
    {
        int batch = a._shape[0], m = a._shape[1], k = a._shape[2], n = b._shape[2];
        var y = Empty([batch, m, n]);
        for (int i = 0; i < batch; i++)
            Gemm.Sgemm(false, false, m, n, k, a.Span.Slice(i * m * k), k, b.Span.Slice(i * k * n), n, y.Span.Slice(i * m * n), n, accumulate: false);
        if (!a.Tracks && !b.Tracks) return y;
        return Record(y, op, g =>
        {
            for (int i = 0; i < batch; i++)
            {
                var gi = g.Slice(i * m * n, m * n);
                if (a.RequiresGrad) // dA = g·Bᵀ
                    Gemm.Sgemm(false, true, m, k, n, gi, n, b.Span.Slice(i * k * n), n, a.GradSpan().Slice(i * m * k), k, accumulate: true);
                if (b.RequiresGrad) // dB = Aᵀ·g
                    Gemm.Sgemm(true, false, k, n, m, a.Span.Slice(i * m * k), k, gi, n, b.GradSpan().Slice(i * k * n), n, accumulate: true);
            }
        }, [a, b]);
    }
}

/// <summary>Functional forms of the layers: the computation a module delegates to.</summary>
public static partial class Functional
{
    /// <summary>y = x·Wᵀ + b with W as [out, in] (PyTorch layout); x is [..., in].</summary>
    public static Tensor Linear(Tensor input, Tensor weight, Tensor? bias = null)
    {
        ArgumentNullException.ThrowIfNull(input);
        ArgumentNullException.ThrowIfNull(weight);
        if (weight.Rank != 2) throw new ArgumentException($"Linear: weight must be 2-D [out, in], got shape {Shape.Format(weight.ShapeRef)}");
        int outF = weight.ShapeRef[0], inF = weight.ShapeRef[1];
        if (input.Rank == 0 || input.ShapeRef[^1] != inF)
            throw new ArgumentException($"Linear: input of shape {Shape.Format(input.ShapeRef)} cannot be multiplied by weight of shape {Shape.Format(weight.ShapeRef)} (expects last dim {inF})");
        if (bias != null && (bias.Rank != 1 || bias.ShapeRef[0] != outF))
            throw new ArgumentException($"Linear: bias of shape {Shape.Format(bias.ShapeRef)} does not match {outF} outputs");
        int rows = inF == 0 ? Shape.Size(input.ShapeRef[..^1]) : input.Size / inF; // inF may be 0
        var y = Tensor.Empty([.. input.ShapeRef[..^1], outF]);
        var ys = y.Span;
        bool tracks = input.Tracks || weight.Tracks || (bias?.Tracks ?? false);
        Gemm.Sgemm(false, true, rows, outF, inF, input.Span, inF, weight.Span, inF, ys, outF, accumulate: false,
            new GemmEpilogue(default, bias == null ? default : bias.Span), tracks ? null : PackedWeights.ForLinear(weight, rows));
        if (!tracks) return y;
        Tensor[] inputs = bias == null ? [input, weight] : [input, weight, bias];
        return Tensor.Record(y, "Linear", g =>
        {
            if (input.RequiresGrad) // dx = g·W
            {
                var gx = input.GradTarget(out bool overwrite);
                Gemm.Sgemm(false, false, rows, inF, outF, g, outF, weight.Span, inF, gx.AsSpan(0, input.Size), inF, accumulate: !overwrite);
            }
            if (weight.RequiresGrad) // dW = gᵀ·x
            {
                var gw = weight.GradTarget(out bool overwrite);
                Gemm.Sgemm(true, false, outF, inF, rows, g, outF, input.Span, inF, gw.AsSpan(0, weight.Size), inF, accumulate: !overwrite,
                    default, null, splitRows: true);
            }
            if (bias is { RequiresGrad: true })
            {
                var gb = bias.GradTarget(out bool overwrite).AsSpan(0, outF);
                if (overwrite) gb.Clear();
                for (int r = 0; r < rows; r++) TensorPrimitives.Add(gb, g.Slice(r * outF, outF), gb);
            }
        }, inputs);
    }

    /// <summary>
    /// Inference only (nothing tracks gradients): y = f((x·Wᵀ + b)·scale + shift) per output column in one product
    /// (an empty scale is 1, an empty shift 0),
    /// the affine and the ReLU applied as each tile of y is written: a linear layer with a batch norm in evaluation mode
    /// folded in (scale = γ/√(running_var + eps), shift = β − running_mean·scale), as <see cref="NN.Sequential"/> runs them.
    /// </summary>
    internal static Tensor LinearFolded(Tensor input, Tensor weight, Tensor? bias, ReadOnlySpan<float> scale, ReadOnlySpan<float> shift, bool relu)
    {
        int outF = weight.ShapeRef[0], inF = weight.ShapeRef[1];
        if (input.Tracks || weight.Tracks || (bias?.Tracks ?? false))
            throw new InvalidOperationException("Linear: the folded inference product is for tensors that track no gradient");
        if (input.Rank == 0 || input.ShapeRef[^1] != inF)
            throw new ArgumentException($"Linear: input of shape {Shape.Format(input.ShapeRef)} cannot be multiplied by weight of shape {Shape.Format(weight.ShapeRef)} (expects last dim {inF})");
        // (x·Wᵀ + b)·s + t rounded step by step as the layers round it, so the folded product gives their bits
        int rows = inF == 0 ? Shape.Size(input.ShapeRef[..^1]) : input.Size / inF; // inF may be 0
        var y = Tensor.Empty([.. input.ShapeRef[..^1], outF]);
        Gemm.Sgemm(false, true, rows, outF, inF, input.Span, inF, weight.Span, inF, y.Span, outF, accumulate: false,
            new GemmEpilogue(scale, shift, relu, bias == null ? default : bias.Span), PackedWeights.ForLinear(weight, rows));
        return y;
    }
}
