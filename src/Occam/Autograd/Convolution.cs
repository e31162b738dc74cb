using System.Numerics.Tensors;
using Occam.Kernels;

namespace Occam;

/// <summary>A convolution's padding, as PyTorch's padding argument: explicit zeros on each side of the height and width
/// (an int or an (H, W) pair converts to it), <see cref="Same"/> (the output as large as the input; stride 1 only; an
/// odd total goes one more after than before, as PyTorch) or <see cref="Valid"/> (none).</summary>
public readonly record struct ConvPadding(int H, int W)
{
    /// <summary>Pads so that the output has the input's height and width (stride 1).</summary>
    public static ConvPadding Same { get; } = new(0, 0) { IsSame = true };

    /// <summary>No padding.</summary>
    public static ConvPadding Valid => new(0, 0);

    public bool IsSame { get; private init; }

    public static implicit operator ConvPadding(int padding) => new(padding, padding);
    public static implicit operator ConvPadding((int H, int W) padding) => new(padding.H, padding.W);

    /// <summary>(top, bottom, left, right) for a kernel of <paramref name="kernel"/> × <paramref name="dilation"/>.</summary>
    internal (int Top, int Bottom, int Left, int Right) Sides((int H, int W) kernel, (int H, int W) stride, (int H, int W) dilation, string op)
    {
        if (!IsSame)
        {
            if (H < 0 || W < 0) throw new ArgumentException($"{op}: padding must be non-negative, got [{H}, {W}]");
            return (H, H, W, W);
        }
        if (stride != (1, 1)) throw new ArgumentException($"{op}: padding 'same' needs stride 1, got [{stride.H}, {stride.W}]");
        int h = dilation.H * (kernel.H - 1), w = dilation.W * (kernel.W - 1);
        return (h / 2, h - h / 2, w / 2, w - w / 2);
    }

    public override string ToString() => IsSame ? "same" : $"({H}, {W})";
}

public static partial class Functional
{
    /// <summary>
    /// The 2-D convolution with
    /// <paramref name="padding"/> as PyTorch takes it (amounts, or <see cref="ConvPadding.Same"/>) and the values it adds
    /// made as <paramref name="mode"/> says (nn.Conv2d's padding_mode: zeros as <see cref="PaddingMode.Constant"/>,
    /// reflect, replicate, circular). Zeros on equal sides go to the convolution itself; anything else pads first
    /// (<see cref="Tensor.Pad"/>).
    /// </summary>
    public static Tensor Conv2d(Tensor input, Tensor weight, Tensor? bias, (int H, int W) stride, ConvPadding padding, (int H, int W) dilation,
        int groups = 1, PaddingMode mode = PaddingMode.Constant)
    {
        ArgumentNullException.ThrowIfNull(input);
        ArgumentNullException.ThrowIfNull(weight);
        if (input.Rank != 4) throw new ArgumentException($"Conv2d: input must be 4-D [N, C, H, W], got shape {Shape.Format(input.ShapeRef)}");
        if (weight.Rank != 4) throw new ArgumentException($"Conv2d: weight must be 4-D [out, in/groups, kH, kW], got shape {Shape.Format(weight.ShapeRef)}");
        var (top, bottom, left, right) = padding.Sides((weight.ShapeRef[2], weight.ShapeRef[3]), stride, dilation, "Conv2d");
        if (mode == PaddingMode.Constant && top == bottom && left == right)
            return Conv2d(input, weight, bias, stride, (top, left), dilation, groups);
        return Conv2d(input.Pad([left, right, top, bottom], mode), weight, bias, stride, (0, 0), dilation, groups);
    }

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

    void ToColumns(ReadOnlySpan<float> image, Span<float> cols, int ld = 0) =>
        Im2Col.Forward(image, Cg, H, W, KH, KW, Stride.H, Stride.W, Pad.H, Pad.W, Dilation.H, Dilation.W, cols, ld);

    // cols is scratch here, so col2im may zero its padding entries and add whole blocks.
    void FromColumns(Span<float> cols, Span<float> imageGrad, int ld = 0) =>
        Im2Col.BackwardInPlace(cols, ld, Cg, H, W, KH, KW, Stride.H, Stride.W, Pad.H, Pad.W, Dilation.H, Dilation.W, imageGrad);

    bool IsPointwise => KH == 1 && KW == 1 && Stride == (1, 1) && Pad == (0, 0);

    /// <summary>Whether the output and the input gradient are computed by Winograd's F(2×2, 3×3) (<see cref="Winograd"/>):
    /// a 3×3 kernel, stride 1, no dilation, one group, padding of at most 2 (so that the input gradient, a convolution of
    /// the output gradient padded by 2 − padding with the kernels turned, is one too) and at least 8 channels in and out
    /// (a first layer's one input channel would leave the 16 products nothing to sum over). The weight gradient is
    /// a sum of products of the same tiles (<see cref="Winograd.WeightGradient"/>).</summary>
    bool UsesWinograd => Winograd.Enabled && KH == 3 && KW == 3 && Stride == (1, 1) && Dilation == (1, 1) && Groups == 1
        && Pad.H <= 2 && Pad.W <= 2 && C >= 8 && O >= 8;

    /// <summary>Whether the weight gradient is taken as its transpose, cols · g_yᵀ [Ckk × Og], rather than g_y · colsᵀ
    /// [Og × Ckk] (the partials are then [Ckk, Og] per group). Both operands hold the pixels along their rows, so the
    /// product's second one is packed transposed, at about 5× a straight copy's cost per float. The orientation whose
    /// register tiles are fuller wins: a first layer's Og × 9 (one input channel) would leave the tile's columns mostly
    /// empty. At a tie the smaller operand is the one transposed: for 64 × 288 over 196 pixels on the 6 × 16 kernel,
    /// 288 × 64 ran 37–39 GFLOP/s against 33–36 (`occam bench gemm --variant nt`, alternating). Each element is the
    /// same chain of multiply-adds either way.</summary>
    bool TransposedWeightGrad
    {
        get
        {
            var (mr, nr) = Gemm.Tile;
            long plain = Tiles(Og, mr) * Tiles(Ckk, nr) * mr * nr, transposed = Tiles(Ckk, mr) * Tiles(Og, nr) * mr * nr;
            return transposed < plain || transposed == plain && Og <= Ckk;
        }
    }

    static long Tiles(int size, int tile) => (size + tile - 1) / tile;

    /// <summary>Images per product in the forward, weight-gradient and input-gradient products. An image's output plane is the
    /// product's columns, in 32-wide panels: a 14 × 14 plane (196) leaves its last panel mostly empty (64 × 196 × 288
    /// runs at ~145 GFLOP/s, 64 × 784 × 288 at ~175), so images whose planes are not whole panels go several to a
    /// product (their columns side by side), to about 768 columns, at most 8.</summary>
    int ImagesPerProduct => IsPointwise || Spatial % 32 == 0 || Spatial >= 768 ? 1 : Math.Min(8, (768 + Spatial - 1) / Spatial);

    // Samples are split over the threads; each chunk has its own column buffer. Several images per product go into
    // one wide column matrix, and their outputs [Og, images·spatial] are then copied (with the bias) to each image.
    public void Forward(float[] x, float[] weight, float[]? bias, float[] y)
    {
        if (UsesWinograd)
        {
            var u = BufferPool.Rent(16 * O * C);
            Winograd.TransformWeights(weight, O, C, flipped: false, u);
            Winograd.Convolve(x, N, C, H, W, Pad.H, Pad.W, u, O, OH, OW, bias, accumulate: false, y);
            BufferPool.Return(u);
            return;
        }
        int chunks = Math.Min(Threads.Count, N), images = ImagesPerProduct;
        Threads.For(chunks, t =>
        {
            var cols = IsPointwise ? null : BufferPool.Rent(Ckk * Spatial * images);
            var wide = images > 1 ? BufferPool.Rent(Og * Spatial * images) : null;
            int s1 = (t + 1) * N / chunks;
            for (int s0 = t * N / chunks; s0 < s1; s0 += images)
            {
                int count = Math.Min(images, s1 - s0), width = count * Spatial;
                for (int g = 0; g < Groups; g++)
                {
                    ReadOnlySpan<float> b = cols;
                    if (cols == null) b = x.AsSpan((s0 * C + g * Cg) * H * W, Cg * H * W);
                    else
                        for (int i = 0; i < count; i++)
                            ToColumns(x.AsSpan(((s0 + i) * C + g * Cg) * H * W, Cg * H * W), cols.AsSpan(i * Spatial), width);
                    var w = weight.AsSpan(g * Og * Ckk, Og * Ckk);
                    if (count == 1)
                    {
                        var dst = y.AsSpan((s0 * O + g * Og) * Spatial, Og * Spatial);
                        Gemm.Sgemm(false, false, Og, Spatial, Ckk, w, Ckk, b, Spatial, dst, Spatial, accumulate: false);
                        if (bias != null)
                            for (int oc = 0; oc < Og; oc++)
                            {
                                var plane = dst.Slice(oc * Spatial, Spatial);
                                TensorPrimitives.Add(plane, bias[g * Og + oc], plane);
                            }
                        continue;
                    }
                    Gemm.Sgemm(false, false, Og, width, Ckk, w, Ckk, b, width, wide, width, accumulate: false);
                    for (int i = 0; i < count; i++)
                        for (int oc = 0; oc < Og; oc++)
                        {
                            var from = wide.AsSpan(oc * width + i * Spatial, Spatial);
                            var to = y.AsSpan(((s0 + i) * O + g * Og + oc) * Spatial, Spatial);
                            if (bias != null) TensorPrimitives.Add(from, bias[g * Og + oc], to);
                            else from.CopyTo(to);
                        }
                }
            }
            if (cols != null) BufferPool.Return(cols);
            if (wide != null) BufferPool.Return(wide);
        });
    }

    public void Backward(float[] g, Tensor input, Tensor weight, Tensor? bias)
    {
        var x = input.Data;
        var wData = weight.Data;
        bool needB = bias is { RequiresGrad: true }, winogradX = input.RequiresGrad && UsesWinograd, winogradW = weight.RequiresGrad && UsesWinograd;
        bool needX = input.RequiresGrad && !winogradX, needW = weight.RequiresGrad && !winogradW; // by im2col below
        int chunks = Math.Min(Threads.Count, N);
        // Per chunk: the weight gradient [O·Ckk] then the bias gradient [O], added up in chunk order afterwards.
        int partialSize = (needW ? O * Ckk : 0) + (needB ? O : 0);
        var partials = partialSize > 0 ? new float[chunks][] : null;
        bool overwrite = false;
        float[]? gx = input.RequiresGrad ? input.GradTarget(out overwrite) : null;
        if (winogradX)
        {
            var u = BufferPool.Rent(16 * C * O);
            Winograd.TransformWeights(wData, C, O, flipped: true, u);
            Winograd.Convolve(g, N, O, OH, OW, 2 - Pad.H, 2 - Pad.W, u, C, H, W, null, accumulate: !overwrite, gx!);
            BufferPool.Return(u);
        }
        if (winogradW) Winograd.WeightGradient(x, N, C, H, W, Pad.H, Pad.W, g, O, OH, OW, weight.GradSpan());
        if (!needX && !needW && !needB) return;
        int images = ImagesPerProduct;
        Threads.For(chunks, t =>
        {
            var cols = BufferPool.Rent(Ckk * Spatial * images);
            var wide = images > 1 ? BufferPool.Rent(Og * Spatial * images) : null;
            float[]? dw = null;
            if (partialSize > 0) { dw = BufferPool.RentZeroed(partialSize); partials![t] = dw; }
            int s1 = (t + 1) * N / chunks;
            for (int s0 = t * N / chunks; s0 < s1; s0 += images)
            {
                int count = Math.Min(images, s1 - s0), width = count * Spatial;
                if (needB)
                {
                    var db = dw.AsSpan(partialSize - O, O);
                    for (int s = s0; s < s0 + count; s++)
                        for (int oc = 0; oc < O; oc++) db[oc] += TensorPrimitives.Sum(g.AsSpan((s * O + oc) * Spatial, Spatial));
                }
                for (int grp = 0; grp < Groups && (needW || needX); grp++)
                {
                    // g_y of the images side by side [Og × width], as their columns are
                    ReadOnlySpan<float> gy = g.AsSpan((s0 * O + grp * Og) * Spatial, Og * Spatial);
                    if (count > 1)
                    {
                        for (int i = 0; i < count; i++)
                            for (int oc = 0; oc < Og; oc++)
                                g.AsSpan(((s0 + i) * O + grp * Og + oc) * Spatial, Spatial).CopyTo(wide.AsSpan(oc * width + i * Spatial));
                        gy = wide.AsSpan(0, Og * width);
                    }
                    if (needW)
                    {
                        // dW_g += g_y · colsᵀ, or its transpose cols · g_yᵀ (TransposedWeightGrad), over the images' columns
                        ReadOnlySpan<float> b = x.AsSpan((s0 * C + grp * Cg) * H * W, Cg * H * W); // a pointwise product's columns: the image
                        if (!IsPointwise)
                        {
                            for (int i = 0; i < count; i++)
                                ToColumns(x.AsSpan(((s0 + i) * C + grp * Cg) * H * W, Cg * H * W), cols.AsSpan(i * Spatial), width);
                            b = cols;
                        }
                        var dwg = dw.AsSpan(grp * Og * Ckk, Og * Ckk);
                        if (TransposedWeightGrad) Gemm.Sgemm(false, true, Ckk, Og, width, b, width, gy, width, dwg, Og, accumulate: true);
                        else Gemm.Sgemm(false, true, Og, Ckk, width, gy, width, b, width, dwg, Ckk, accumulate: true);
                    }
                    if (needX)
                    {
                        // dcols = W_gᵀ · g_y, scattered back by col2im
                        ReadOnlySpan<float> wg = wData.AsSpan(grp * Og * Ckk, Og * Ckk);
                        if (IsPointwise)
                        {
                            var gxImage = gx.AsSpan((s0 * C + grp * Cg) * H * W, Cg * H * W);
                            Gemm.Sgemm(true, false, Ckk, Spatial, Og, wg, Ckk, gy, Spatial, gxImage, Spatial, accumulate: !overwrite);
                            continue;
                        }
                        Gemm.Sgemm(true, false, Ckk, width, Og, wg, Ckk, gy, width, cols, width, accumulate: false);
                        for (int i = 0; i < count; i++)
                        {
                            var gxImage = gx.AsSpan(((s0 + i) * C + grp * Cg) * H * W, Cg * H * W);
                            if (overwrite) gxImage.Clear();
                            FromColumns(cols.AsSpan(i * Spatial), gxImage, width);
                        }
                    }
                }
            }
            BufferPool.Return(cols);
            if (wide != null) BufferPool.Return(wide);
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
