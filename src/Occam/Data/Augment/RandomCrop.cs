namespace Occam.Data.Augment;

/// <summary>Pads the image by <see cref="Padding"/> pixels of <see cref="Fill"/> on every side, then crops a random
/// Height × Width window (torchvision.transforms.v2.RandomCrop with constant padding): top ~ U{0, …, H + 2p − h},
/// left ~ U{0, …, W + 2p − w}, drawn in that order; output[c, i, j] = padded[c, top + i, left + j].</summary>
public sealed class RandomCrop : ITransform
{
    public RandomCrop(int size, int padding = 0, float fill = 0) : this((size, size), padding, fill) { }

    public RandomCrop((int Height, int Width) size, int padding = 0, float fill = 0)
    {
        if (size.Height < 1 || size.Width < 1)
            throw new ArgumentException($"RandomCrop: size must be positive, got ({size.Height}, {size.Width})");
        if (padding < 0) throw new ArgumentOutOfRangeException(nameof(padding), padding, $"RandomCrop: padding must be non-negative, got {padding}");
        if (!float.IsFinite(fill)) throw new ArgumentException($"RandomCrop: fill must be finite, got {fill}");
        (Height, Width, Padding, Fill) = (size.Height, size.Width, padding, fill);
    }

    public int Height { get; }
    public int Width { get; }
    public int Padding { get; }
    public float Fill { get; }

    public Tensor Apply(Tensor input, Generator generator)
    {
        ArgumentNullException.ThrowIfNull(generator);
        var (channels, h, w) = Image.Chw(input, "RandomCrop");
        int paddedH = h + 2 * Padding, paddedW = w + 2 * Padding;
        if (Height > paddedH || Width > paddedW)
            throw new ArgumentException($"RandomCrop: crop size ({Height}, {Width}) is larger than the padded image ({paddedH}, {paddedW})");
        int top = generator.NextInt(paddedH - Height + 1);
        int left = generator.NextInt(paddedW - Width + 1);
        var src = input.Span;
        var result = new float[channels * Height * Width];
        for (int ch = 0; ch < channels; ch++)
            for (int i = 0; i < Height; i++)
            {
                int si = top + i - Padding;
                for (int j = 0; j < Width; j++)
                {
                    int sj = left + j - Padding;
                    bool inside = si >= 0 && si < h && sj >= 0 && sj < w;
                    result[(ch * Height + i) * Width + j] = inside ? src[(ch * h + si) * w + sj] : Fill;
                }
            }
        return new Tensor(result, [channels, Height, Width]);
    }
}
