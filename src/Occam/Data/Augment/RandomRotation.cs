namespace Occam.Data.Augment;

/// <summary>Rotates the image about its centre by an angle θ ~ U(min, max) degrees, counter-clockwise for θ &gt; 0,
/// keeping its size (torchvision.transforms.v2.RandomRotation, expand=False, center=None). Output pixel at centred
/// coordinates (x, y) samples the input at (x·cos θ − y·sin θ, x·sin θ + y·cos θ) (y pointing down), nearest by
/// default; pixels that come from outside the image take <see cref="Fill"/>.</summary>
public sealed class RandomRotation : ITransform
{
    /// <summary>θ ~ U(−degrees, degrees).</summary>
    public RandomRotation(float degrees, Interpolation interpolation = Interpolation.Nearest, float fill = 0)
        : this(Image.Symmetric(degrees, "RandomRotation", "degrees"), interpolation, fill) { }

    /// <summary>θ ~ U(degrees.Min, degrees.Max).</summary>
    public RandomRotation((float Min, float Max) degrees, Interpolation interpolation = Interpolation.Nearest, float fill = 0)
    {
        Degrees = Image.Range(degrees, "RandomRotation", "degrees");
        (Interpolation, Fill) = (Image.Mode(interpolation, "RandomRotation"), Image.Fill(fill, "RandomRotation"));
    }

    public (float Min, float Max) Degrees { get; }
    public Interpolation Interpolation { get; }
    public float Fill { get; }

    public Tensor Apply(Tensor input, Generator generator)
    {
        ArgumentNullException.ThrowIfNull(generator);
        Image.Chw(input, "RandomRotation");
        double angle = Image.Uniform(generator, Degrees.Min, Degrees.Max);
        return Rotate(input, angle, Interpolation, Fill);
    }

    /// <summary>The rotation by a given angle (torchvision.transforms.v2.functional.rotate): an exact copy for a
    /// multiple of 360°, otherwise the inverse-affine warp with −angle.</summary>
    public static Tensor Rotate(Tensor input, double angle, Interpolation interpolation = Interpolation.Nearest, float fill = 0)
    {
        const string op = "RandomRotation.Rotate";
        Image.Chw(input, op);
        // A public entry point of its own, so it repeats the constructor's checks: a NaN angle would fill the whole image.
        if (!double.IsFinite(angle)) throw new ArgumentException($"{op}: angle must be finite, got {angle}");
        Image.Mode(interpolation, op);
        Image.Fill(fill, op);
        if (angle % 360 == 0) return input.Clone();
        return AffineWarp.Warp(input, AffineWarp.InverseMatrix(-angle, 0, 0, 1, 0, 0), interpolation, fill, op);
    }
}
