namespace Occam.Data.Augment;

/// <summary>Mirrors the image left–right with probability <see cref="P"/> (torchvision.transforms.v2.RandomHorizontalFlip):
/// one uniform u per call, flip when u &lt; p; output[c, i, j] = input[c, i, W − 1 − j].</summary>
public sealed class RandomHorizontalFlip(float p = 0.5f) : ITransform
{
    public float P { get; } = Image.Probability(p, "RandomHorizontalFlip");

    public Tensor Apply(Tensor input, Generator generator)
    {
        ArgumentNullException.ThrowIfNull(generator);
        var (channels, h, w) = Image.Chw(input, "RandomHorizontalFlip");
        if (generator.NextFloat() >= P) return input.Clone();
        var result = input.ToArray();
        for (int row = 0; row < channels * h; row++) result.AsSpan(row * w, w).Reverse();
        return new Tensor(result, [channels, h, w]);
    }
}
