namespace Occam.Data.Augment;

/// <summary>CutMix (Yun et al. 2019, as torchvision.transforms.v2.CutMix): one λ ~ Beta(α, α) per batch; a box centred at
/// (r_x, r_y), r_x ~ U{0, …, W − 1} then r_y ~ U{0, …, H − 1}, with half-sides ⌊½√(1 − λ)·W⌋ and ⌊½√(1 − λ)·H⌋,
/// clipped to the image, is pasted into every sample from its predecessor in the batch rolled by one. λ is then set to
/// the exact kept fraction, 1 − box area / (H·W), and targets become λ·onehot(y[i]) + (1 − λ)·onehot(y[i − 1]).
/// Inputs are [N, C, H, W]; targets [N] class indices or [N, C] probabilities.</summary>
public sealed class CutMix : IBatchTransform
{
    public CutMix(float alpha, int numClasses)
    {
        BatchMixing.CheckArguments(alpha, numClasses, "CutMix");
        (Alpha, NumClasses) = (alpha, numClasses);
    }

    public float Alpha { get; }
    public int NumClasses { get; }

    public Batch Apply(Batch batch, Generator generator)
    {
        ArgumentNullException.ThrowIfNull(generator);
        var (n, shape) = BatchMixing.Check(batch, NumClasses, "CutMix");
        if (shape.Length != 4)
            throw new ArgumentException($"CutMix: inputs must be images [N, C, H, W], got shape {Shape.Format(shape)}");
        int channels = shape[1], h = shape[2], w = shape[3];
        var (x1, y1, x2, y2, lambda) = Box(h, w, generator);
        var x = batch.Inputs.Span;
        var result = x.ToArray();
        int size = channels * h * w;
        for (int i = 0; i < n; i++)
        {
            int prev = (i + n - 1) % n;
            for (int ch = 0; ch < channels; ch++)
                for (int r = y1; r < y2; r++)
                {
                    int offset = ch * h * w + r * w + x1;
                    x.Slice(prev * size + offset, x2 - x1).CopyTo(result.AsSpan(i * size + offset, x2 - x1));
                }
        }
        return new Batch(new Tensor(result, shape), BatchMixing.MixTargets(batch.Targets, NumClasses, lambda, "CutMix"));
    }

    /// <summary>The box [x1, x2) × [y1, y2) and the adjusted λ for an H × W batch, as torchvision's make_params.</summary>
    public (int X1, int Y1, int X2, int Y2, double Lambda) Box(int height, int width, Generator generator)
    {
        if (height < 1 || width < 1) throw new ArgumentException($"CutMix: images must be at least 1×1, got {height}×{width}");
        double lambda = RandomSampling.Beta(generator, Alpha, Alpha);
        int rx = generator.NextInt(width), ry = generator.NextInt(height);
        double r = 0.5 * Math.Sqrt(1 - lambda);
        int halfW = (int)(r * width), halfH = (int)(r * height);
        int x1 = Math.Max(rx - halfW, 0), y1 = Math.Max(ry - halfH, 0);
        int x2 = Math.Min(rx + halfW, width), y2 = Math.Min(ry + halfH, height);
        return (x1, y1, x2, y2, 1 - (double)(x2 - x1) * (y2 - y1) / (width * height));
    }
}
