using System.Runtime.InteropServices;
using Occam.Kernels;

namespace Occam;

public static partial class Functional
{
    /// <summary>2-D max pooling over NCHW (PyTorch semantics: padding is −∞, stride defaults to the kernel size;
    /// <paramref name="ceilMode"/> rounds the output size up, as ceil_mode=True).</summary>
    public static Tensor MaxPool2d(Tensor input, int kernelSize, int? stride = null, int padding = 0, bool ceilMode = false)
        => MaxPool2d(input, (kernelSize, kernelSize), (stride ?? kernelSize, stride ?? kernelSize), (padding, padding), ceilMode);

    /// <inheritdoc cref="MaxPool2d(Tensor, int, int?, int, bool)"/>
    public static Tensor MaxPool2d(Tensor input, (int H, int W) kernelSize, (int H, int W) stride, (int H, int W) padding, bool ceilMode = false)
    {
        var (n, c, h, w, oh, ow) = PoolShape("MaxPool2d", input, kernelSize, stride, padding, ceilMode);
        var y = Tensor.Empty([n, c, oh, ow]);
        // The argmax indices live in a pooled float buffer (as int bits) that returns to the pool with the graph.
        // Samples are split over the engine's threads (planes are independent).
        int size = y.Size, inBlock = c * h * w, outBlock = c * oh * ow;
        var argmax = BufferPool.Rent(size);
        var (xd, yd) = (input.Data, y.Data);
        ForChunks(n, input.Size, (s0, s1) => Pool.MaxForward(xd.AsSpan(s0 * inBlock, (s1 - s0) * inBlock), s1 - s0, c, h, w,
            kernelSize.H, kernelSize.W, stride.H, stride.W, padding.H, padding.W, yd.AsSpan(s0 * outBlock, (s1 - s0) * outBlock),
            MemoryMarshal.Cast<float, int>(argmax.AsSpan(s0 * outBlock, (s1 - s0) * outBlock)), ceilMode));
        if (!input.Tracks) { BufferPool.Return(argmax); return y; }
        return Tensor.Record(y, "MaxPool2d", g =>
        {
            // A fresh gradient buffer is zeroed plane by plane on the thread that scatters into it, just before the scatter.
            var dx = input.GradTarget(out bool overwrite);
            unsafe
            {
                fixed (float* pgFixed = g)
                {
                    float* pg = pgFixed; // spans cannot enter the parallel body; pointers can
                    ForChunks(n, input.Size, (s0, s1) =>
                    {
                        Pool.MaxBackward(new ReadOnlySpan<float>(pg + (long)s0 * outBlock, (s1 - s0) * outBlock),
                            MemoryMarshal.Cast<float, int>(argmax.AsSpan(s0 * outBlock, (s1 - s0) * outBlock)), s1 - s0, c, h, w, oh, ow,
                            dx.AsSpan(s0 * inBlock, (s1 - s0) * inBlock), overwrite);
                    });
                }
            }
        }, [input], saved: argmax);
    }

    /// <summary>2-D average pooling over NCHW; with <paramref name="countIncludePad"/> (PyTorch's default)
    /// padded zeros count in the divisor; <paramref name="ceilMode"/> rounds the output size up, as ceil_mode=True.</summary>
    public static Tensor AvgPool2d(Tensor input, int kernelSize, int? stride = null, int padding = 0, bool countIncludePad = true, bool ceilMode = false)
        => AvgPool2d(input, (kernelSize, kernelSize), (stride ?? kernelSize, stride ?? kernelSize), (padding, padding), countIncludePad, ceilMode);

    /// <inheritdoc cref="AvgPool2d(Tensor, int, int?, int, bool, bool)"/>
    public static Tensor AvgPool2d(Tensor input, (int H, int W) kernelSize, (int H, int W) stride, (int H, int W) padding, bool countIncludePad = true, bool ceilMode = false)
    {
        var (n, c, h, w, oh, ow) = PoolShape("AvgPool2d", input, kernelSize, stride, padding, ceilMode);
        var y = Tensor.Empty([n, c, oh, ow]);
        Pool.AvgForward(input.Span, n, c, h, w, kernelSize.H, kernelSize.W, stride.H, stride.W, padding.H, padding.W, countIncludePad, y.Span, ceilMode);
        if (!input.Tracks) return y;
        return Tensor.Record(y, "AvgPool2d", g => Pool.AvgBackward(g, n, c, h, w, kernelSize.H, kernelSize.W, stride.H, stride.W, padding.H, padding.W, countIncludePad, input.GradSpan(), ceilMode), [input]);
    }

    static (int N, int C, int H, int W, int OH, int OW) PoolShape(string op, Tensor input, (int H, int W) k, (int H, int W) s, (int H, int W) p, bool ceilMode)
    {
        ArgumentNullException.ThrowIfNull(input);
        if (input.Rank != 4) throw new ArgumentException($"{op}: input must be 4-D [N, C, H, W], got shape {Shape.Format(input.ShapeRef)}");
        int n = input.ShapeRef[0], c = input.ShapeRef[1], h = input.ShapeRef[2], w = input.ShapeRef[3];
        if (p.H * 2 > k.H || p.W * 2 > k.W)
            throw new ArgumentException($"{op}: pad should be at most half of kernel size, got padding [{p.H}, {p.W}] for kernel [{k.H}, {k.W}]");
        var (oh, ow) = Pool.OutputShape(op, h, w, k.H, k.W, s.H, s.W, p.H, p.W, ceilMode);
        return (n, c, h, w, oh, ow);
    }
}
