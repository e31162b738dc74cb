using System.Buffers;
using System.Runtime.InteropServices;
using Occam.Kernels;

namespace Occam;

public static partial class Functional
{
    // Batch norm → ReLU → 2×2 max pool of stride 2 over [N, C, H, W] (fused by Sequential where a conv block ends): each
    // plane is normalized into a plane scratch (x·scale + shift and the ReLU, per element as ChannelNormalize does it)
    // and pooled from there (Pool.Max2x2Row), so the full-size activation is never written nor read back. Backward
    // runs ChannelNormalize's backward over the gradient of the normalized input rebuilt one plane at a time: each
    // output's gradient at its argmax where the output passed the ReLU (the pool's backward and the ReLU's mask in one
    // pass), so that gradient is never written nor read back whole either. Output, running statistics and gradients are
    // the three ops' bit for bit.
    static Tensor BatchNormReluMaxPool(Tensor input, ReadOnlySpan<float> mean, ReadOnlySpan<float> rstd, Tensor? weight, Tensor? bias,
        bool centered, string op)
    {
        int n = input.Dim(0), c = input.Dim(1), h = input.Dim(2), w = input.Dim(3), oh = h / 2, ow = w / 2;
        int inPlane = h * w, outPlane = oh * ow;
        bool record = input.Tracks || (weight?.Tracks ?? false) || (bias?.Tracks ?? false);
        var y = Tensor.Empty([n, c, oh, ow]);
        // What backward reads, in one pooled buffer that returns with the graph: mean | rstd | γ, then the argmax of each
        // output in its plane (int bits), which only a graph needs.
        var (saved, coef) = SaveStatistics(mean, rstd, c, 0, weight, bias, c, extra: record ? y.Size : 0);
        var (xd, yd) = (input.Data, y.Data);
        ForChunks(n, input.Size, (s0, s1) =>
        {
            var plane = ArrayPool<float>.Shared.Rent(inPlane);
            var scratch = record ? null : ArrayPool<int>.Shared.Rent(ow); // the argmax, when no backward reads it
            var argmax = record ? MemoryMarshal.Cast<float, int>(saved.AsSpan(3 * c, y.Size)) : default;
            for (int p = s0 * c; p < s1 * c; p++)
            {
                int ch = p % c;
                Norm.ChannelScaleShift(xd.AsSpan(p * inPlane, inPlane), plane.AsSpan(0, inPlane), 1, 1, inPlane,
                    coef.AsSpan(ch, 1), coef.AsSpan(c + ch, 1), relu: true);
                for (int r = 0; r < oh; r++)
                {
                    int at = p * outPlane + r * ow;
                    Pool.Max2x2Row(plane.AsSpan(2 * r * w, 2 * w), w, 2 * r * w, yd.AsSpan(at, ow),
                        record ? argmax.Slice(at, ow) : scratch.AsSpan(0, ow));
                }
            }
            if (scratch != null) ArrayPool<int>.Shared.Return(scratch);
            ArrayPool<float>.Shared.Return(plane);
        });
        ArrayPool<float>.Shared.Return(coef);
        if (!record) { BufferPool.Return(saved); return y; }
        return Tensor.Record(y, op, _ =>
        {
            // The gradient of the normalized input, one plane at a time where the sums and dx read it: 0, and at each
            // window's argmax the output's gradient where the output passed the ReLU (0 + g, as the pool's backward adds
            // into a cleared plane after the ReLU's mask). It never goes to memory whole: the full-size gradient used
            // to be written, then read twice.
            var (gPool, yPool) = (y.GradBuffer!, y.Data);
            ChannelNormalizeBackward(default, input, n, c, inPlane, saved, c, 0, centered, weight, bias, (p, into) =>
            {
                var argmax = MemoryMarshal.Cast<float, int>(saved.AsSpan(3 * c + p * outPlane, outPlane));
                Pool.Max2x2ReluBackward(gPool.AsSpan(p * outPlane, outPlane), yPool.AsSpan(p * outPlane, outPlane), argmax, h, w, into);
            });
        }, Inputs(input, weight, bias), saved: saved);
    }
}
