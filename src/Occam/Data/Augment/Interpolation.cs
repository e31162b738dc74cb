namespace Occam.Data.Augment;

/// <summary>How a geometric transform reads the input between pixel centres (torchvision's InterpolationMode).</summary>
public enum Interpolation
{
    /// <summary>The nearest input pixel (ties to even, as grid_sample); torchvision's default for rotation and affine.</summary>
    Nearest,
    /// <summary>Bilinear blend of the four neighbouring pixels.</summary>
    Bilinear,
}
