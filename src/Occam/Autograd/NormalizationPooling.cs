using System.Buffers;
using Occam.Kernels;

namespace Occam;

public static partial class Functional
{
    // Batch norm → ReLU → 2×2 max pool of stride 2 over [N, C, H, W] in inference (fused by Sequential where a conv block
    // ends): each plane is normalized into a plane scratch (x·scale + shift and the ReLU, per element as ChannelNormalize
    // does it) and pooled from there (Pool.Max2x2Row), so the full-size activation is never written nor read back. The
    // output is that of the three ops bit for bit. (In training the three ops run: a fused backward, which rebuilds the
    // gradient at each window's argmax, measured slower than the unfused one.)
    static Tensor BatchNormReluMaxPool(Tensor input, ReadOnlySpan<float> mean, ReadOnlySpan<float> rstd, Tensor? weight, Tensor? bias)
    {
        int n = input.Dim(0), c = input.Dim(1), h = input.Dim(2), w = input.Dim(3), oh = h / 2, ow = w / 2;
        int inPlane = h * w, outPlane = oh * ow;
        var y = Tensor.Empty([n, c, oh, ow]);
        var coef = ArrayPool<float>.Shared.Rent(2 * c); // scale | shift, computed as ChannelNormalize computes them
        var gamma = weight == null ? default : weight.Span;
        var beta = bias == null ? default : bias.Span;
        for (int k = 0; k < c; k++)
        {
            float sc = (weight != null ? gamma[k] : 1f) * rstd[k];
            coef[k] = sc;
            coef[c + k] = (bias != null ? beta[k] : 0f) - mean[k] * sc;
        }
        var (xd, yd) = (input.Data, y.Data);
        ForChunks(n, input.Size, (s0, s1) =>
        {
            var plane = ArrayPool<float>.Shared.Rent(inPlane);
            var argmax = ArrayPool<int>.Shared.Rent(ow); // the pool's argmax, not needed here
            for (int p = s0 * c; p < s1 * c; p++)
            {
                int ch = p % c;
                Norm.ChannelScaleShift(xd.AsSpan(p * inPlane, inPlane), plane.AsSpan(0, inPlane), 1, 1, inPlane,
                    coef.AsSpan(ch, 1), coef.AsSpan(c + ch, 1), relu: true);
                for (int r = 0; r < oh; r++)
                    Pool.Max2x2Row(plane.AsSpan(2 * r * w, 2 * w), w, 2 * r * w, yd.AsSpan(p * outPlane + r * ow, ow), argmax.AsSpan(0, ow));
            }
            ArrayPool<int>.Shared.Return(argmax);
            ArrayPool<float>.Shared.Return(plane);
        });
        ArrayPool<float>.Shared.Return(coef);
        return y;
    }
}
