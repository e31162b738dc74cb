namespace Occam.Data.Augment;

/// <summary>The inverse-affine resampling behind <see cref="RandomRotation"/> and <see cref="RandomAffine"/>,
/// as torchvision's tensor kernels (_get_inverse_affine_matrix, _affine_grid, grid_sample with
/// align_corners=False, and the fill mask of _apply_grid_transform).</summary>
internal static class AffineWarp
{
    /// <summary>torchvision's _get_inverse_affine_matrix with the centre at the image centre: the 2×3 matrix
    /// M⁻¹ = C·RSS⁻¹·C⁻¹·T⁻¹ that maps an output point to the input point it samples, both measured from the
    /// image centre. RSS = R(a)·S(s)·SHy(sy)·SHx(sx) with angles in degrees.</summary>
    public static double[] InverseMatrix(double angle, double tx, double ty, double scale, double shearX, double shearY)
    {
        double rot = angle * Math.PI / 180, sx = shearX * Math.PI / 180, sy = shearY * Math.PI / 180;
        double a = Math.Cos(rot - sy) / Math.Cos(sy);
        double b = -(a * Math.Tan(sx) + Math.Sin(rot));
        double c = Math.Sin(rot - sy) / Math.Cos(sy);
        double d = -(c * Math.Tan(sx) - Math.Cos(rot));
        // det [[a, b], [c, d]] = 1, so the inverse of RSS is [[d, −b], [−c, a]] / scale.
        var m = new[] { d / scale, -b / scale, 0, -c / scale, a / scale, 0 };
        m[2] = m[0] * -tx + m[1] * -ty;
        m[5] = m[3] * -tx + m[4] * -ty;
        return m;
    }

    /// <summary>Output pixel (i, j) has centred coordinates (x, y) = (j − W/2 + ½, i − H/2 + ½); it samples the input at
    /// (x', y') = M·(x, y, 1), i.e. input pixel coordinates (x' + W/2 − ½, y' + H/2 − ½). Points off the image
    /// take <paramref name="fill"/>; for bilinear the result is img·m + (1 − m)·fill with m the bilinear weight
    /// that fell inside the image, exactly as torchvision blends its mask channel.</summary>
    public static Tensor Warp(Tensor input, double[] m, Interpolation interpolation, float fill, string op)
    {
        // Callers validate (Image.Mode, Image.Fill): the loop below reads anything but Nearest as bilinear.
        System.Diagnostics.Debug.Assert(Enum.IsDefined(interpolation) && float.IsFinite(fill));
        var (channels, h, w) = Image.Chw(input, op);
        var src = input.Span;
        var result = new float[src.Length];
        int plane = h * w;
        for (int i = 0; i < h; i++)
        {
            double y = i - h * 0.5 + 0.5;
            for (int j = 0; j < w; j++)
            {
                double x = j - w * 0.5 + 0.5;
                double ix = m[0] * x + m[1] * y + m[2] + w * 0.5 - 0.5;
                double iy = m[3] * x + m[4] * y + m[5] + h * 0.5 - 0.5;
                int o = i * w + j;
                if (interpolation == Interpolation.Nearest)
                {
                    double rx = Math.Round(ix), ry = Math.Round(iy); // ties to even, as nearbyint in grid_sample
                    bool inside = rx >= 0 && rx < w && ry >= 0 && ry < h;
                    int s = inside ? (int)ry * w + (int)rx : 0;
                    for (int ch = 0; ch < channels; ch++)
                        result[ch * plane + o] = inside ? src[ch * plane + s] : fill;
                }
                else
                {
                    int x0 = (int)Math.Floor(ix), y0 = (int)Math.Floor(iy);
                    double fx = ix - x0, fy = iy - y0;
                    for (int ch = 0; ch < channels; ch++)
                    {
                        double value = 0, mask = 0;
                        for (int dy = 0; dy < 2; dy++)
                            for (int dx = 0; dx < 2; dx++)
                            {
                                int xx = x0 + dx, yy = y0 + dy;
                                if (xx < 0 || xx >= w || yy < 0 || yy >= h) continue;
                                double weight = (dx == 1 ? fx : 1 - fx) * (dy == 1 ? fy : 1 - fy);
                                value += weight * src[ch * plane + yy * w + xx];
                                mask += weight;
                            }
                        result[ch * plane + o] = (float)((value - fill) * mask + fill);
                    }
                }
            }
        }
        return new Tensor(result, [channels, h, w]);
    }
}
