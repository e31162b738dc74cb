namespace Occam.Data.Augment;

/// <summary>Helpers shared by the per-sample image transforms.</summary>
internal static class Image
{
    /// <summary>Channels, height and width of a [C, H, W] image; anything else is rejected naming <paramref name="op"/>.</summary>
    public static (int C, int H, int W) Chw(Tensor input, string op)
    {
        ArgumentNullException.ThrowIfNull(input);
        if (input.Rank != 3)
            throw new ArgumentException($"{op}: input must be one image [C, H, W], got shape {Shape.Format(input.ShapeRef)}");
        return (input.Dim(0), input.Dim(1), input.Dim(2));
    }

    /// <summary>Uniform in [low, high), as torch.empty(1).uniform_(low, high).</summary>
    public static double Uniform(Generator generator, double low, double high) => low + (high - low) * generator.NextDouble();

    /// <summary>A symmetric range (−v, v) from a non-negative number, as torchvision's _setup_angle.</summary>
    public static (float Min, float Max) Symmetric(float value, string op, string name)
    {
        if (!(value >= 0) || float.IsInfinity(value))
            throw new ArgumentException($"{op}: {name} as a single number must be finite and non-negative, got {value}");
        return (-value, value);
    }

    /// <summary>Checks that a (min, max) range is finite and ordered.</summary>
    public static (float Min, float Max) Range((float Min, float Max) range, string op, string name)
    {
        if (!float.IsFinite(range.Min) || !float.IsFinite(range.Max) || range.Min > range.Max)
            throw new ArgumentException($"{op}: {name} must be a finite range (min, max) with min ≤ max, got ({range.Min}, {range.Max})");
        return range;
    }

    /// <summary>Checks an interpolation mode: the warp reads anything but Nearest as bilinear, so an undefined value
    /// would otherwise run silently.</summary>
    public static Interpolation Mode(Interpolation interpolation, string op)
    {
        if (!Enum.IsDefined(interpolation)) throw new ArgumentException($"{op}: unknown interpolation {interpolation}");
        return interpolation;
    }

    public static float Fill(float fill, string op)
    {
        if (!float.IsFinite(fill)) throw new ArgumentException($"{op}: fill must be finite, got {fill}");
        return fill;
    }

    public static float Probability(float p, string op)
    {
        if (!(p >= 0 && p <= 1)) throw new ArgumentOutOfRangeException(nameof(p), p, $"{op}: p must be in [0, 1], got {p}");
        return p;
    }
}
