namespace Occam.Data.Augment;

/// <summary>A random affine map about the image centre (torchvision.transforms.v2.RandomAffine), parameters drawn in
/// torchvision's order: angle ~ U(degrees); if translate = (a, b): tx = round(U(−a·W, a·W)), ty = round(U(−b·H, b·H));
/// if scale = (lo, hi): s ~ U(lo, hi); shear_x ~ U(shearX), then shear_y ~ U(shearY) when given. Each output pixel
/// samples the input through the inverse matrix C·RSS⁻¹·C⁻¹·T⁻¹ with RSS = R(angle)·S(s)·SHy·SHx (torchvision's
/// _get_inverse_affine_matrix; as in torchvision's affine, a positive angle turns the picture clockwise), nearest by
/// default, and pixels from outside the image take <see cref="Fill"/>.</summary>
public sealed class RandomAffine : ITransform
{
    /// <summary>angle ~ U(−degrees, degrees); shear_x ~ U(−shear, shear), no y shear.</summary>
    public RandomAffine(float degrees, (float X, float Y)? translate = null, (float Min, float Max)? scale = null,
        float shear = 0, float fill = 0, Interpolation interpolation = Interpolation.Nearest)
        : this(Image.Symmetric(degrees, "RandomAffine", "degrees"), translate, scale,
            shear == 0 ? null : Image.Symmetric(shear, "RandomAffine", "shear"), null, fill, interpolation) { }

    /// <summary>Every range explicit; a null shear range draws nothing and means no shear on that axis.</summary>
    public RandomAffine((float Min, float Max) degrees, (float X, float Y)? translate, (float Min, float Max)? scale,
        (float Min, float Max)? shearX, (float Min, float Max)? shearY, float fill = 0, Interpolation interpolation = Interpolation.Nearest)
    {
        Degrees = Image.Range(degrees, "RandomAffine", "degrees");
        if (translate is { } t && !(t.X >= 0 && t.X <= 1 && t.Y >= 0 && t.Y <= 1))
            throw new ArgumentException($"RandomAffine: translate fractions must be in [0, 1], got ({t.X}, {t.Y})");
        if (scale is { } s && !(s.Min > 0 && s.Min <= s.Max && float.IsFinite(s.Max)))
            throw new ArgumentException($"RandomAffine: scale must be a range (min, max) with 0 < min ≤ max, got ({s.Min}, {s.Max})");
        if (shearY != null && shearX == null)
            throw new ArgumentException("RandomAffine: shearY needs shearX (torchvision draws the y shear only after the x shear)");
        if (shearX is { } sx) Image.Range(sx, "RandomAffine", "shearX");
        if (shearY is { } sy) Image.Range(sy, "RandomAffine", "shearY");
        (Translate, Scale, ShearX, ShearY) = (translate, scale, shearX, shearY);
        (Interpolation, Fill) = (Image.Mode(interpolation, "RandomAffine"), Image.Fill(fill, "RandomAffine"));
    }

    public (float Min, float Max) Degrees { get; }
    public (float X, float Y)? Translate { get; }
    public (float Min, float Max)? Scale { get; }
    public (float Min, float Max)? ShearX { get; }
    public (float Min, float Max)? ShearY { get; }
    public float Fill { get; }
    public Interpolation Interpolation { get; }

    public Tensor Apply(Tensor input, Generator generator)
    {
        ArgumentNullException.ThrowIfNull(generator);
        var (_, h, w) = Image.Chw(input, "RandomAffine");
        double angle = Image.Uniform(generator, Degrees.Min, Degrees.Max);
        double tx = 0, ty = 0, scale = 1, shearX = 0, shearY = 0;
        if (Translate is { } t)
        {
            double maxDx = t.X * w, maxDy = t.Y * h;
            tx = Math.Round(Image.Uniform(generator, -maxDx, maxDx)); // Python round: ties to even
            ty = Math.Round(Image.Uniform(generator, -maxDy, maxDy));
        }
        if (Scale is { } s) scale = Image.Uniform(generator, s.Min, s.Max);
        if (ShearX is { } sx) shearX = Image.Uniform(generator, sx.Min, sx.Max);
        if (ShearY is { } sy) shearY = Image.Uniform(generator, sy.Min, sy.Max);
        return AffineWarp.Warp(input, AffineWarp.InverseMatrix(angle, tx, ty, scale, shearX, shearY), Interpolation, Fill, "RandomAffine");
    }
}
