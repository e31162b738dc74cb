namespace Occam.Data.Augment;

/// <summary>MixUp (Zhang et al. 2018, as torchvision.transforms.v2.MixUp): one λ ~ Beta(α, α) per batch; each sample is
/// blended with its predecessor in the batch rolled by one, x'[i] = λ·x[i] + (1 − λ)·x[i − 1 mod N], and so are its
/// targets, t'[i] = λ·onehot(y[i]) + (1 − λ)·onehot(y[i − 1]). Targets may be [N] class indices or [N, C]
/// probabilities; the result is [N, C] probabilities for <c>CrossEntropyLoss</c>.</summary>
public sealed class MixUp : IBatchTransform
{
    public MixUp(float alpha, int numClasses)
    {
        BatchMixing.CheckArguments(alpha, numClasses, "MixUp");
        (Alpha, NumClasses) = (alpha, numClasses);
    }

    public float Alpha { get; }
    public int NumClasses { get; }

    public Batch Apply(Batch batch, Generator generator)
    {
        ArgumentNullException.ThrowIfNull(generator);
        var (n, shape) = BatchMixing.Check(batch, NumClasses, "MixUp");
        double lambda = RandomSampling.Beta(generator, Alpha, Alpha);
        var x = batch.Inputs.Span;
        int size = x.Length / n;
        var result = new float[x.Length];
        for (int i = 0; i < n; i++)
        {
            int prev = (i + n - 1) % n;
            for (int k = 0; k < size; k++)
                result[i * size + k] = (float)(lambda * x[i * size + k] + (1 - lambda) * x[prev * size + k]);
        }
        return new Batch(new Tensor(result, shape), BatchMixing.MixTargets(batch.Targets, NumClasses, lambda, "MixUp"));
    }
}
