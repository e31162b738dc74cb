namespace Occam.Data.Augment;

/// <summary>Pads the image by <see cref="Padding"/> pixels on every side (<see cref="Fill"/>, the edge repeated or the
/// reflection, as <see cref="PaddingMode"/> says), then crops a random Height × Width window
/// (torchvision.transforms.v2.RandomCrop, its padding_mode constant, edge or reflect): top ~ U{0, …, H + 2p − h},
/// left ~ U{0, …, W + 2p − w}, drawn in that order; output[c, i, j] = padded[c, top + i, left + j].</summary>
public sealed class RandomCrop : ITransform
{
    public RandomCrop(int size, int padding = 0, float fill = 0, PaddingMode paddingMode = PaddingMode.Constant) : this((size, size), padding, fill, paddingMode) { }

    /// <summary>Pads each side by <paramref name="padding"/>, then crops <paramref name="size"/> at a random place, as
    /// torchvision's RandomCrop: the padding is <paramref name="fill"/> (constant), the edge repeated (Replicate, its
    /// "edge") or mirrored without the edge (Reflect; the padding must then be smaller than the image).</summary>
    public RandomCrop((int Height, int Width) size, int padding = 0, float fill = 0, PaddingMode paddingMode = PaddingMode.Constant)
    {
        if (paddingMode is not (PaddingMode.Constant or PaddingMode.Replicate or PaddingMode.Reflect))
            throw new ArgumentException($"RandomCrop: paddingMode must be Constant, Replicate or Reflect, got {paddingMode}");
        if (paddingMode != PaddingMode.Constant && fill != 0)
            throw new ArgumentException($"RandomCrop: fill {fill} applies to constant padding only, not {paddingMode}");
        PaddingMode = paddingMode;
        if (size.Height < 1 || size.Width < 1)
            throw new ArgumentException($"RandomCrop: size must be positive, got ({size.Height}, {size.Width})");
        if (padding < 0) throw new ArgumentOutOfRangeException(nameof(padding), padding, $"RandomCrop: padding must be non-negative, got {padding}");
        (Height, Width, Padding, Fill) = (size.Height, size.Width, padding, Image.Fill(fill, "RandomCrop"));
    }

    public int Height { get; }
    public int Width { get; }
    public int Padding { get; }
    public float Fill { get; }
    public PaddingMode PaddingMode { get; }

    public Tensor Apply(Tensor input, Generator generator)
    {
        ArgumentNullException.ThrowIfNull(generator);
        var (channels, h, w) = Image.Chw(input, "RandomCrop");
        int paddedH = h + 2 * Padding, paddedW = w + 2 * Padding;
        if (Height > paddedH || Width > paddedW)
            throw new ArgumentException($"RandomCrop: crop size ({Height}, {Width}) is larger than the padded image ({paddedH}, {paddedW})");
        if (PaddingMode != PaddingMode.Constant && Padding > 0 && (h == 0 || w == 0))
            throw new ArgumentException($"RandomCrop: {PaddingMode} padding needs an image with pixels, got ({h}, {w})");
        if (PaddingMode == PaddingMode.Reflect && Padding >= Math.Min(h, w))
            throw new ArgumentException($"RandomCrop: reflect padding {Padding} must be smaller than the image ({h}, {w})");
        int top = generator.NextInt(paddedH - Height + 1);
        int left = generator.NextInt(paddedW - Width + 1);
        var src = input.Span;
        var result = new float[channels * Height * Width];
        for (int ch = 0; ch < channels; ch++)
            for (int i = 0; i < Height; i++)
            {
                int si = Tensor.SourceIndex(top + i - Padding, h, PaddingMode);
                for (int j = 0; j < Width; j++)
                {
                    int sj = Tensor.SourceIndex(left + j - Padding, w, PaddingMode);
                    result[(ch * Height + i) * Width + j] = si >= 0 && sj >= 0 ? src[(ch * h + si) * w + sj] : Fill;
                }
            }
        return new Tensor(result, [channels, Height, Width]);
    }
}
