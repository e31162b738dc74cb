namespace Occam.Data.Augment;

/// <summary>Adds Gaussian noise to every pixel (torchvision.transforms.v2.GaussianNoise): y = x + mean + σ·z with
/// z ~ N(0, 1), then y clipped to [0, 1] when <see cref="Clip"/> (images are expected in [0, 1]). Unlike the
/// <c>Occam.NN.GaussianNoise</c> layer this acts on the data, in training only by being in the loader's pipeline.</summary>
public sealed class GaussianNoise : ITransform
{
    public GaussianNoise(float mean = 0, float sigma = 0.1f, bool clip = true)
    {
        if (!float.IsFinite(mean)) throw new ArgumentException($"GaussianNoise: mean must be finite, got {mean}");
        if (!(sigma >= 0) || float.IsInfinity(sigma))
            throw new ArgumentOutOfRangeException(nameof(sigma), sigma, $"GaussianNoise: sigma must be finite and non-negative, got {sigma}");
        (Mean, Sigma, Clip) = (mean, sigma, clip);
    }

    public float Mean { get; }
    public float Sigma { get; }
    public bool Clip { get; }

    public Tensor Apply(Tensor input, Generator generator)
    {
        ArgumentNullException.ThrowIfNull(input);
        ArgumentNullException.ThrowIfNull(generator);
        var result = input.ToArray();
        for (int i = 0; i < result.Length; i++)
        {
            float y = result[i] + Mean + Sigma * generator.NextNormal();
            result[i] = Clip ? Math.Clamp(y, 0f, 1f) : y;
        }
        return new Tensor(result, input.Shape);
    }
}
