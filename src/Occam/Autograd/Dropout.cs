using System.Numerics.Tensors;

namespace Occam;

public static partial class Functional
{
    /// <summary>Inverted dropout (torch.nn.functional.dropout): in training each element is zeroed with
    /// probability <paramref name="p"/> and the rest scaled by 1/(1 − p), so the expectation is unchanged;
    /// identity when not training. Mask drawing and scaling are one fused pass.</summary>
    public static Tensor Dropout(Tensor input, float p, bool training, Generator generator)
    {
        ArgumentNullException.ThrowIfNull(input);
        ArgumentNullException.ThrowIfNull(generator);
        if (!(p >= 0 && p <= 1)) throw new ArgumentException($"Dropout: p must be in [0, 1], got {p}");
        if (!training || p == 0) return input;
        int size = input.Size;
        var mask = BufferPool.Rent(size);
        var y = Tensor.Empty(input.ShapeRef);
        Kernels.RandomKernels.DropoutMask(mask.AsSpan(0, size), input.Span, y.Span, p, generator);
        if (!input.Tracks) { BufferPool.Return(mask); return y; }
        return Tensor.Record(y, "Dropout", g =>
        {
            var gx = input.GradTarget(out bool overwrite).AsSpan(0, size);
            if (overwrite) TensorPrimitives.Multiply(g, mask.AsSpan(0, size), gx);
            else TensorPrimitives.FusedMultiplyAdd(g, mask.AsSpan(0, size), gx, gx);
        }, [input], saved: mask);
    }
}
