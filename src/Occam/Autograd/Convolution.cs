using System.Numerics.Tensors;
using Occam.Kernels;

namespace Occam;

public static partial class Functional
{
    /// <summary>2-D convolution (cross-correlation, as PyTorch) of NCHW <paramref name="input"/> with
    /// <paramref name="weight"/> [out, in/groups, kH, kW]: im2col per image and group, then SGEMM.</summary>
    public static Tensor Conv2d(Tensor input, Tensor weight, Tensor? bias = null, int stride = 1, int padding = 0, int dilation = 1, int groups = 1)
        => Conv2d(input, weight, bias, (stride, stride), (padding, padding), (dilation, dilation), groups);

    /// <inheritdoc cref="Conv2d(Tensor, Tensor, Tensor?, int, int, int, int)"/>
    public static Tensor Conv2d(Tensor input, Tensor weight, Tensor? bias, (int H, int W) stride, (int H, int W) padding, (int H, int W) dilation, int groups = 1)
    {
        ArgumentNullException.ThrowIfNull(input);
        ArgumentNullException.ThrowIfNull(weight);
        if (input.Rank != 4) throw new ArgumentException($"Conv2d: input must be 4-D [N, C, H, W], got shape {Shape.Format(input.ShapeRef)}");
        if (weight.Rank != 4) throw new ArgumentException($"Conv2d: weight must be 4-D [out, in/groups, kH, kW], got shape {Shape.Format(weight.ShapeRef)}");
        if (groups < 1) throw new ArgumentException($"Conv2d: groups must be positive, got {groups}");
        int n = input.ShapeRef[0], c = input.ShapeRef[1], h = input.ShapeRef[2], w = input.ShapeRef[3];
        int o = weight.ShapeRef[0], cg = weight.ShapeRef[1], kh = weight.ShapeRef[2], kw = weight.ShapeRef[3];
        if (c % groups != 0 || o % groups != 0)
            throw new ArgumentException($"Conv2d: channels in ({c}) and out ({o}) must both be divisible by groups ({groups})");
        if (cg * groups != c)
            throw new ArgumentException($"Conv2d: input has {c} channels, weight expects {cg * groups} (weight shape {Shape.Format(weight.ShapeRef)}, groups {groups})");
        if (bias != null && (bias.Rank != 1 || bias.ShapeRef[0] != o))
            throw new ArgumentException($"Conv2d: bias of shape {Shape.Format(bias.ShapeRef)} does not match {o} output channels");
        var (oh, ow) = Im2Col.OutputShape("Conv2d", h, w, kh, kw, stride.H, stride.W, padding.H, padding.W, dilation.H, dilation.W);

        var geo = new ConvGeometry(n, c, h, w, o, kh, kw, stride, padding, dilation, groups, oh, ow);
        var y = Tensor.Empty([n, o, oh, ow]);
        geo.Forward(input.Data, weight.Data, bias?.Data, y.Data);
        if (!input.Tracks && !weight.Tracks && !(bias?.Tracks ?? false)) return y;
        Tensor[] inputs = bias == null ? [input, weight] : [input, weight, bias];
        // The threads need the gradient as an array: during backward it is y's own pooled buffer.
        return Tensor.Record(y, "Conv2d", _ => geo.Backward(y.GradBuffer!, input, weight, bias), inputs);
    }
}

/// <summary>Shapes of one convolution and its im2col/SGEMM forward and backward passes.</summary>
internal sealed record ConvGeometry(int N, int C, int H, int W, int O, int KH, int KW,
    (int H, int W) Stride, (int H, int W) Pad, (int H, int W) Dilation, int Groups, int OH, int OW)
{
    int Cg => C / Groups;
    int Og => O / Groups;
    int Ckk => Cg * KH * KW;
    int Spatial => OH * OW;

    void ToColumns(ReadOnlySpan<float> image, Span<float> cols) =>
        Im2Col.Forward(image, Cg, H, W, KH, KW, Stride.H, Stride.W, Pad.H, Pad.W, Dilation.H, Dilation.W, cols);

    // cols is scratch here, so col2im may zero its padding entries and add whole blocks.
    void FromColumns(Span<float> cols, Span<float> imageGrad) =>
        Im2Col.BackwardInPlace(cols, Cg, H, W, KH, KW, Stride.H, Stride.W, Pad.H, Pad.W, Dilation.H, Dilation.W, imageGrad);

    bool IsPointwise => KH == 1 && KW == 1 && Stride == (1, 1) && Pad == (0, 0);

    // A first layer's weight gradient (Og × Ckk with Ckk = 9 for one input channel) would leave the SGEMM's 32-wide
    // micro-kernel columns mostly empty; its transpose (Ckk × Og) fills them. The partials are then [Ckk, Og] per group.
    bool TransposedWeightGrad => Ckk < Og;

    // Samples are split over the threads; each chunk has its own column buffer.
    public void Forward(float[] x, float[] weight, float[]? bias, float[] y)
    {
        int chunks = Math.Min(Threads.Count, N);
        Threads.For(chunks, t =>
        {
            var cols = IsPointwise ? null : BufferPool.Rent(Ckk * Spatial);
            for (int s = t * N / chunks; s < (t + 1) * N / chunks; s++)
                for (int g = 0; g < Groups; g++)
                {
                    ReadOnlySpan<float> image = x.AsSpan((s * C + g * Cg) * H * W, Cg * H * W);
                    ReadOnlySpan<float> b = cols == null ? image : cols;
                    if (cols != null) ToColumns(image, cols);
                    var dst = y.AsSpan((s * O + g * Og) * Spatial, Og * Spatial);
                    Gemm.Sgemm(false, false, Og, Spatial, Ckk, weight.AsSpan(g * Og * Ckk, Og * Ckk), Ckk, b, Spatial, dst, Spatial, accumulate: false);
                    if (bias != null)
                        for (int oc = 0; oc < Og; oc++)
                        {
                            var plane = dst.Slice(oc * Spatial, Spatial);
                            TensorPrimitives.Add(plane, bias[g * Og + oc], plane);
                        }
                }
            if (cols != null) BufferPool.Return(cols);
        });
    }

    public void Backward(float[] g, Tensor input, Tensor weight, Tensor? bias)
    {
        var x = input.Data;
        var wData = weight.Data;
        bool needX = input.RequiresGrad, needW = weight.RequiresGrad, needB = bias is { RequiresGrad: true };
        int chunks = Math.Min(Threads.Count, N);
        // Per chunk: the weight gradient [O·Ckk] then the bias gradient [O], added up in chunk order afterwards.
        int partialSize = (needW ? O * Ckk : 0) + (needB ? O : 0);
        var partials = partialSize > 0 ? new float[chunks][] : null;
        bool overwrite = false;
        float[]? gx = needX ? input.GradTarget(out overwrite) : null;
        Threads.For(chunks, t =>
        {
            var cols = BufferPool.Rent(Ckk * Spatial);
            float[]? dw = null;
            if (partialSize > 0) { dw = BufferPool.RentZeroed(partialSize); partials![t] = dw; }
            for (int s = t * N / chunks; s < (t + 1) * N / chunks; s++)
            {
                if (needB)
                {
                    var db = dw.AsSpan(partialSize - O, O);
                    for (int oc = 0; oc < O; oc++) db[oc] += TensorPrimitives.Sum(g.AsSpan((s * O + oc) * Spatial, Spatial));
                }
                for (int grp = 0; grp < Groups; grp++)
                {
                    ReadOnlySpan<float> gy = g.AsSpan((s * O + grp * Og) * Spatial, Og * Spatial);
                    ReadOnlySpan<float> wg = wData.AsSpan(grp * Og * Ckk, Og * Ckk);
                    int imageOffset = (s * C + grp * Cg) * H * W;
                    if (needW)
                    {
                        ReadOnlySpan<float> image = x.AsSpan(imageOffset, Cg * H * W);
                        if (!IsPointwise) ToColumns(image, cols);
                        // dW_g += g_y · colsᵀ, or its transpose cols · g_yᵀ when that keeps the GEMM's n wide
                        ReadOnlySpan<float> b = IsPointwise ? image : cols;
                        var dwg = dw.AsSpan(grp * Og * Ckk, Og * Ckk);
                        if (TransposedWeightGrad) Gemm.Sgemm(false, true, Ckk, Og, Spatial, b, Spatial, gy, Spatial, dwg, Og, accumulate: true);
                        else Gemm.Sgemm(false, true, Og, Ckk, Spatial, gy, Spatial, b, Spatial, dwg, Ckk, accumulate: true);
                    }
                    if (needX)
                    {
                        // dcols = W_gᵀ · g_y, scattered back by col2im
                        var gxImage = gx.AsSpan(imageOffset, Cg * H * W);
                        if (IsPointwise) Gemm.Sgemm(true, false, Ckk, Spatial, Og, wg, Ckk, gy, Spatial, gxImage, Spatial, accumulate: !overwrite);
                        else
                        {
                            Gemm.Sgemm(true, false, Ckk, Spatial, Og, wg, Ckk, gy, Spatial, cols, Spatial, accumulate: false);
                            if (overwrite) gxImage.Clear();
                            FromColumns(cols, gxImage);
                        }
                    }
                }
            }
            BufferPool.Return(cols);
        });
        if (partials == null) return;
        var gw = needW ? weight.GradSpan() : default;
        var gb = needB ? bias!.GradSpan() : default;
        foreach (var dw in partials)
        {
            if (needB) TensorPrimitives.Add(gb, dw.AsSpan(partialSize - O, O), gb);
            if (needW)
            {
                if (TransposedWeightGrad)
                    for (int grp = 0; grp < Groups; grp++)
                    {
                        int at = grp * Og * Ckk;
                        for (int oc = 0; oc < Og; oc++)
                            for (int k = 0; k < Ckk; k++) gw[at + oc * Ckk + k] += dw[at + k * Og + oc];
                    }
                else TensorPrimitives.Add(gw, dw.AsSpan(0, gw.Length), gw);
            }
            BufferPool.Return(dw);
        }
    }
}
