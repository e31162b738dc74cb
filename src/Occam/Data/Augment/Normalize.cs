namespace Occam.Data.Augment;

/// <summary>Per-channel standardization (torchvision.transforms.v2.Normalize): output[c] = (input[c] − mean[c]) / std[c].
/// A single mean or std applies to every channel. Deterministic: the generator is not used.</summary>
public sealed class Normalize : ITransform
{
    readonly float[] _mean, _std;

    public Normalize(float[] mean, float[] std)
    {
        ArgumentNullException.ThrowIfNull(mean);
        ArgumentNullException.ThrowIfNull(std);
        if (mean.Length == 0 || std.Length == 0)
            throw new ArgumentException($"Normalize: mean and std need at least one value, got {mean.Length} and {std.Length}");
        if (mean.Length != std.Length && mean.Length != 1 && std.Length != 1)
            throw new ArgumentException($"Normalize: mean has {mean.Length} values and std has {std.Length}; they must match (or one has a single value)");
        foreach (float m in mean)
            if (!float.IsFinite(m)) throw new ArgumentException($"Normalize: mean must be finite, got {m}");
        foreach (float s in std)
            if (!(s != 0) || !float.IsFinite(s)) throw new ArgumentException($"Normalize: std must be finite and non-zero (division by it), got {s}");
        (_mean, _std) = ((float[])mean.Clone(), (float[])std.Clone());
    }

    public IReadOnlyList<float> Mean => _mean;
    public IReadOnlyList<float> Std => _std;

    public Tensor Apply(Tensor input, Generator generator)
    {
        var (channels, h, w) = Image.Chw(input, "Normalize");
        int needed = Math.Max(_mean.Length, _std.Length);
        if (needed != 1 && needed != channels)
            throw new ArgumentException($"Normalize: {needed} mean/std values for an image with {channels} channels");
        var result = input.ToArray();
        int plane = h * w;
        for (int ch = 0; ch < channels; ch++)
        {
            float m = _mean[_mean.Length == 1 ? 0 : ch], s = _std[_std.Length == 1 ? 0 : ch];
            var p = result.AsSpan(ch * plane, plane);
            for (int k = 0; k < p.Length; k++) p[k] = (p[k] - m) / s;
        }
        return new Tensor(result, [channels, h, w]);
    }
}
