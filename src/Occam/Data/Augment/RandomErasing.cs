namespace Occam.Data.Augment;

/// <summary>With probability <see cref="P"/>, sets a random rectangle of the image to <see cref="Value"/> in every channel
/// (Zhong et al. 2020, as torchvision.transforms.v2.RandomErasing). Up to 10 attempts: area = H·W·U(scale),
/// aspect r = exp(U(log ratio.Min, log ratio.Max)), h = round(√(area·r)), w = round(√(area/r)); the first attempt with
/// h &lt; H and w &lt; W places the box at top ~ U{0, …, H − h}, left ~ U{0, …, W − w}. If all ten fail the image
/// is returned unchanged.</summary>
public sealed class RandomErasing : ITransform
{
    public RandomErasing(float p = 0.5f, (float Min, float Max)? scale = null, (float Min, float Max)? ratio = null, float value = 0)
    {
        P = Image.Probability(p, "RandomErasing");
        var s = scale ?? (0.02f, 0.33f);
        var r = ratio ?? (0.3f, 3.3f);
        if (!(s.Min >= 0 && s.Min <= s.Max && s.Max <= 1))
            throw new ArgumentException($"RandomErasing: scale must be a range (min, max) with 0 ≤ min ≤ max ≤ 1, got ({s.Min}, {s.Max})");
        if (!(r.Min > 0 && r.Min <= r.Max && float.IsFinite(r.Max)))
            throw new ArgumentException($"RandomErasing: ratio must be a range (min, max) with 0 < min ≤ max, got ({r.Min}, {r.Max})");
        if (!float.IsFinite(value)) throw new ArgumentException($"RandomErasing: value must be finite, got {value}");
        (Scale, Ratio, Value) = (s, r, value);
    }

    public float P { get; }
    public (float Min, float Max) Scale { get; }
    public (float Min, float Max) Ratio { get; }
    public float Value { get; }

    public Tensor Apply(Tensor input, Generator generator)
    {
        ArgumentNullException.ThrowIfNull(generator);
        var (channels, h, w) = Image.Chw(input, "RandomErasing");
        var result = input.Clone();
        if (generator.NextFloat() >= P) return result;
        if (FindBox(h, w, generator) is not var (top, left, boxH, boxW)) return result;
        var dst = result.Span;
        for (int ch = 0; ch < channels; ch++)
            for (int i = top; i < top + boxH; i++)
                dst.Slice((ch * h + i) * w + left, boxW).Fill(Value);
        return result;
    }

    /// <summary>The box torchvision's make_params would pick for an H × W image, or null after ten failed attempts.</summary>
    public (int Top, int Left, int Height, int Width)? FindBox(int height, int width, Generator generator)
    {
        double area = (double)height * width;
        double logMin = Math.Log(Ratio.Min), logMax = Math.Log(Ratio.Max);
        for (int attempt = 0; attempt < 10; attempt++)
        {
            double eraseArea = area * Image.Uniform(generator, Scale.Min, Scale.Max);
            double aspect = Math.Exp(Image.Uniform(generator, logMin, logMax));
            int h = (int)Math.Round(Math.Sqrt(eraseArea * aspect));
            int w = (int)Math.Round(Math.Sqrt(eraseArea / aspect));
            if (!(h < height && w < width)) continue;
            int top = generator.NextInt(height - h + 1);
            int left = generator.NextInt(width - w + 1);
            return (top, left, h, w);
        }
        return null;
    }
}
