namespace Occam.Data.Augment;

/// <summary>Mirrors the image top–bottom with probability <see cref="P"/> (torchvision.transforms.v2.RandomVerticalFlip):
/// one uniform u per call, flip when u &lt; p; output[c, i, j] = input[c, H − 1 − i, j].</summary>
public sealed class RandomVerticalFlip(float p = 0.5f) : ITransform
{
    public float P { get; } = Image.Probability(p, "RandomVerticalFlip");

    public Tensor Apply(Tensor input, Generator generator)
    {
        ArgumentNullException.ThrowIfNull(generator);
        var (channels, h, w) = Image.Chw(input, "RandomVerticalFlip");
        if (generator.NextFloat() >= P) return input.Clone();
        var src = input.Span;
        var result = new float[src.Length];
        for (int ch = 0; ch < channels; ch++)
            for (int i = 0; i < h; i++)
                src.Slice((ch * h + h - 1 - i) * w, w).CopyTo(result.AsSpan((ch * h + i) * w, w));
        return new Tensor(result, [channels, h, w]);
    }
}
