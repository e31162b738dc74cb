using Occam.Data.Augment;

namespace Occam.Tests.Data.Augment;

public class ImageTransformTests
{
    /// <summary>A [C, H, W] image whose pixel values are all distinct: c·1000 + i·H + j + 1.</summary>
    static Tensor Ramp(int c, int h, int w)
    {
        var data = new float[c * h * w];
        for (int ch = 0; ch < c; ch++)
            for (int i = 0; i < h; i++)
                for (int j = 0; j < w; j++) data[(ch * h + i) * w + j] = ch * 1000 + i * w + j + 1;
        return Tensor.FromArray(data, c, h, w);
    }

    static float At(float[] x, int h, int w, int c, int i, int j) => x[(c * h + i) * w + j];

    public static TheoryData<string> RandomTransforms => ["crop", "hflip", "vflip", "rotation", "affine", "erasing", "noise"];

    static ITransform Make(string name) => name switch
    {
        "crop" => new RandomCrop(8, padding: 3),
        "hflip" => new RandomHorizontalFlip(),
        "vflip" => new RandomVerticalFlip(),
        "rotation" => new RandomRotation(45),
        "affine" => new RandomAffine(30, translate: (0.2f, 0.2f), scale: (0.8f, 1.2f), shear: 10),
        "erasing" => new RandomErasing(p: 1),
        "noise" => new GaussianNoise(sigma: 0.2f, clip: false),
        _ => throw new ArgumentException(name),
    };

    [Theory]
    [MemberData(nameof(RandomTransforms))]
    public void SameSeedSameOutputDifferentSeedsDiffer(string name)
    {
        var t = Make(name);
        var x = Ramp(3, 8, 8);
        var a = t.Apply(x, new Generator(7)).ToArray();
        Assert.Equal(a, t.Apply(x, new Generator(7)).ToArray());
        Assert.Equal([3, 8, 8], t.Apply(x, new Generator(7)).Shape);
        Assert.Equal(Ramp(3, 8, 8).ToArray(), x.ToArray()); // the input is never modified
        bool differs = false;
        for (ulong seed = 8; seed < 20 && !differs; seed++) differs = !a.SequenceEqual(t.Apply(x, new Generator(seed)).ToArray());
        Assert.True(differs, $"{name}: different seeds should give different outputs");
    }

    [Fact]
    public void FlipTwiceIsIdentityAndFlipsMirror()
    {
        var x = Ramp(2, 3, 5);
        var h = new RandomHorizontalFlip(p: 1);
        var v = new RandomVerticalFlip(p: 1);
        var g = new Generator(1);
        Assert.Equal(x.ToArray(), h.Apply(h.Apply(x, g), g).ToArray());
        Assert.Equal(x.ToArray(), v.Apply(v.Apply(x, g), g).ToArray());
        var src = x.ToArray();
        var hf = h.Apply(x, g).ToArray();
        var vf = v.Apply(x, g).ToArray();
        for (int c = 0; c < 2; c++)
            for (int i = 0; i < 3; i++)
                for (int j = 0; j < 5; j++)
                {
                    Assert.Equal(At(src, 3, 5, c, i, 4 - j), At(hf, 3, 5, c, i, j));
                    Assert.Equal(At(src, 3, 5, c, 2 - i, j), At(vf, 3, 5, c, i, j));
                }
        Assert.Equal(src, new RandomHorizontalFlip(p: 0).Apply(x, g).ToArray());
    }

    [Fact]
    public void FlipHappensWithProbabilityP()
    {
        var x = Ramp(1, 1, 2);
        var flip = new RandomHorizontalFlip(p: 0.3f);
        var g = new Generator(3);
        int flipped = 0, n = 4000;
        for (int k = 0; k < n; k++) if (flip.Apply(x, g)[0, 0, 0] == 2) flipped++;
        double sd = Math.Sqrt(0.3 * 0.7 / n);
        Assert.InRange(flipped / (double)n, 0.3 - 5 * sd, 0.3 + 5 * sd);
    }

    [Fact]
    public void RandomCropWithPaddingKeepsSizeAndTakesAShiftedWindow()
    {
        var x = Ramp(2, 6, 7);
        var src = x.ToArray();
        var crop = new RandomCrop((6, 7), padding: 2, fill: -1);
        var offsets = new HashSet<(int, int)>();
        for (ulong seed = 0; seed < 60; seed++)
        {
            var y = crop.Apply(x, new Generator(seed));
            Assert.Equal([2, 6, 7], y.Shape);
            var o = y.ToArray();
            (int, int)? found = null;
            for (int dy = -2; dy <= 2; dy++)
                for (int dx = -2; dx <= 2; dx++)
                {
                    bool match = true;
                    for (int c = 0; c < 2 && match; c++)
                        for (int i = 0; i < 6 && match; i++)
                            for (int j = 0; j < 7 && match; j++)
                            {
                                int si = i + dy, sj = j + dx;
                                float expected = si >= 0 && si < 6 && sj >= 0 && sj < 7 ? At(src, 6, 7, c, si, sj) : -1;
                                match = At(o, 6, 7, c, i, j) == expected;
                            }
                    if (match) found = (dy, dx);
                }
            Assert.True(found != null, $"seed {seed}: the crop is not a shifted window of the padded image");
            offsets.Add(found!.Value);
        }
        Assert.True(offsets.Count > 10, $"only {offsets.Count} distinct offsets in 60 crops");
    }

    [Theory]
    [InlineData(PaddingMode.Replicate)]
    [InlineData(PaddingMode.Reflect)]
    public void RandomCropPadsTheEdgesAsTorchvisionsPaddingModes(PaddingMode mode)
    {
        var x = Ramp(2, 5, 6);
        // a crop as large as the padded image is the padded image itself, whatever the draw
        var whole = new RandomCrop((9, 10), padding: 2, paddingMode: mode).Apply(x, new Generator(1));
        Assert.Equal(x.Pad([2, 2, 2, 2], mode).ToArray(), whole.ToArray());
        // and a smaller crop is a window of it
        var padded = x.Pad([2, 2, 2, 2], mode).ToArray();
        var y = new RandomCrop((5, 6), padding: 2, paddingMode: mode).Apply(x, new Generator(7)).ToArray();
        bool window = false;
        for (int dy = 0; dy <= 4 && !window; dy++)
            for (int dx = 0; dx <= 4 && !window; dx++)
                window = Enumerable.Range(0, y.Length).All(k => y[k] == At(padded, 9, 10, k / 30, k / 6 % 5 + dy, k % 6 + dx));
        Assert.True(window);
        Assert.Contains("fill -1 applies to constant padding only", Assert.Throws<ArgumentException>(() => new RandomCrop(5, 2, -1, mode)).Message);
        Assert.Contains("paddingMode must be Constant, Replicate or Reflect", Assert.Throws<ArgumentException>(() => new RandomCrop(5, 2, 0, PaddingMode.Circular)).Message);
        if (mode == PaddingMode.Reflect)
            Assert.Contains("reflect padding 5 must be smaller than the image (5, 6)", Assert.Throws<ArgumentException>(() => new RandomCrop(5, 5, 0, mode).Apply(x, new Generator(1))).Message);
    }

    [Fact]
    public void RandomCropWithoutPaddingIsASubImage()
    {
        var x = Ramp(1, 10, 10);
        var y = new RandomCrop(4).Apply(x, new Generator(5)).ToArray();
        int top = (int)((y[0] - 1) / 10), left = (int)((y[0] - 1) % 10);
        for (int i = 0; i < 4; i++)
            for (int j = 0; j < 4; j++) Assert.Equal((top + i) * 10 + left + j + 1, y[i * 4 + j]);
        Assert.Contains("larger", Assert.Throws<ArgumentException>(() => new RandomCrop(11).Apply(x, new Generator(1))).Message);
    }

    [Fact]
    public void RotationByZeroIsIdentity()
    {
        var x = Ramp(2, 5, 6);
        Assert.Equal(x.ToArray(), new RandomRotation(0).Apply(x, new Generator(1)).ToArray());
        Assert.Equal(x.ToArray(), RandomRotation.Rotate(x, 360).ToArray());
        Assert.Equal(x.ToArray(), new RandomAffine(0).Apply(x, new Generator(1)).ToArray());
    }

    [Theory]
    [InlineData(5)]
    [InlineData(6)]
    public void RotationBy90OnASquareIsTransposeThenFlip(int n)
    {
        var x = Ramp(2, n, n);
        var src = x.ToArray();
        // counter-clockwise by 90° (torch.rot90): out[i, j] = in[j, n − 1 − i], i.e. transpose then flip the rows
        var ccw = new RandomRotation((90, 90)).Apply(x, new Generator(1)).ToArray();
        var bilinear = RandomRotation.Rotate(x, 90, Interpolation.Bilinear).ToArray();
        var cw = RandomRotation.Rotate(x, -90).ToArray();
        var half = RandomRotation.Rotate(x, 180).ToArray();
        for (int c = 0; c < 2; c++)
            for (int i = 0; i < n; i++)
                for (int j = 0; j < n; j++)
                {
                    Assert.Equal(At(src, n, n, c, j, n - 1 - i), At(ccw, n, n, c, i, j));
                    Assert.Equal(At(src, n, n, c, j, n - 1 - i), At(bilinear, n, n, c, i, j), 1e-3f);
                    Assert.Equal(At(src, n, n, c, n - 1 - j, i), At(cw, n, n, c, i, j));
                    Assert.Equal(At(src, n, n, c, n - 1 - i, n - 1 - j), At(half, n, n, c, i, j));
                }
        // torchvision's affine turns clockwise for a positive angle, rotate counter-clockwise
        Assert.Equal(cw, new RandomAffine((90, 90), null, null, null, null).Apply(x, new Generator(2)).ToArray());
    }

    [Fact]
    public void RotationFillsTheCornersItBringsIn()
    {
        var x = Tensor.Ones(1, 9, 9);
        var y = RandomRotation.Rotate(x, 45, fill: -2).ToArray();
        Assert.Equal(-2, y[0]);                 // a corner comes from outside
        Assert.Equal(1, y[4 * 9 + 4]);          // the centre stays
        Assert.All(y, v => Assert.True(v == 1 || v == -2));
        var b = RandomRotation.Rotate(x, 45, Interpolation.Bilinear, fill: 0).ToArray();
        Assert.All(b, v => Assert.InRange(v, 0f, 1f));
        Assert.Equal(1, b[4 * 9 + 4], 1e-6f);
    }

    [Fact]
    public void AffineTranslationIsAnIntegerShift()
    {
        var x = Ramp(1, 10, 10);
        var src = x.ToArray();
        var affine = new RandomAffine(0, translate: (0.3f, 0.3f), fill: -1);
        var shifts = new HashSet<(int, int)>();
        for (ulong seed = 0; seed < 20; seed++)
        {
            var y = affine.Apply(x, new Generator(seed)).ToArray();
            (int, int)? found = null;
            for (int ty = -3; ty <= 3; ty++)
                for (int tx = -3; tx <= 3; tx++)
                {
                    bool match = true;
                    for (int i = 0; i < 10 && match; i++)
                        for (int j = 0; j < 10 && match; j++)
                        {
                            int si = i - ty, sj = j - tx;
                            float expected = si >= 0 && si < 10 && sj >= 0 && sj < 10 ? src[si * 10 + sj] : -1;
                            match = y[i * 10 + j] == expected;
                        }
                    if (match) found = (ty, tx);
                }
            Assert.True(found != null, $"seed {seed}: not an integer translation");
            shifts.Add(found!.Value);
        }
        Assert.True(shifts.Count > 5);
    }

    [Fact]
    public void AffineScaleZoomsAboutTheCentre()
    {
        // scale 2 on a 4×4 image: output centred x samples input x/2, so the four centre pixels cover the output
        var x = Ramp(1, 4, 4);
        var y = new RandomAffine(0, scale: (2, 2)).Apply(x, new Generator(1)).ToArray();
        var src = x.ToArray();
        for (int i = 0; i < 4; i++)
            for (int j = 0; j < 4; j++)
            {
                double sx = (j - 1.5) / 2 + 1.5, sy = (i - 1.5) / 2 + 1.5;
                Assert.Equal(src[(int)Math.Round(sy) * 4 + (int)Math.Round(sx)], y[i * 4 + j]);
            }
    }

    [Fact]
    public void ErasingIsOneRectangleInsideTheImageWithinTheScaleBounds()
    {
        int h = 40, w = 50;
        var x = Tensor.Ones(3, h, w);
        var erasing = new RandomErasing(p: 1, value: 0);
        for (ulong seed = 0; seed < 50; seed++)
        {
            var y = erasing.Apply(x, new Generator(seed)).ToArray();
            int top = h, left = w, bottom = -1, right = -1, count = 0;
            for (int i = 0; i < h; i++)
                for (int j = 0; j < w; j++)
                {
                    float v = y[i * w + j];
                    Assert.Equal(v, y[(h + i) * w + j]);      // the same box in every channel
                    Assert.Equal(v, y[(2 * h + i) * w + j]);
                    if (v != 0) continue;
                    count++;
                    (top, left, bottom, right) = (Math.Min(top, i), Math.Min(left, j), Math.Max(bottom, i), Math.Max(right, j));
                }
            if (count == 0) continue; // ten failed attempts leave the image alone
            int boxH = bottom - top + 1, boxW = right - left + 1;
            Assert.Equal(boxH * boxW, count); // a full rectangle
            Assert.True(boxH < h && boxW < w);
            // h·w = round(√(a·r))·round(√(a/r)) is within rounding of the drawn area a ∈ [0.02, 0.33]·H·W
            double a = h * w, slack = 0.5 * (Math.Sqrt(a * 0.33 * 3.3) + Math.Sqrt(a * 0.33 / 0.3)) + 0.25;
            Assert.InRange(count, 0.02 * a - slack, 0.33 * a + slack);
        }
        Assert.Equal(x.ToArray(), new RandomErasing(p: 0).Apply(x, new Generator(1)).ToArray());
    }

    [Fact]
    public void ErasingBoxAreaFollowsTheScaleRange()
    {
        var erasing = new RandomErasing(p: 1, scale: (0.1f, 0.2f), ratio: (1, 1));
        var g = new Generator(11);
        for (int k = 0; k < 200; k++)
        {
            var box = erasing.FindBox(100, 100, g);
            Assert.NotNull(box);
            var (top, left, bh, bw) = box!.Value;
            Assert.Equal(bh, bw); // ratio 1: a square
            Assert.InRange(bh * bw, 0.1 * 10000 - 70, 0.2 * 10000 + 70);
            Assert.True(top >= 0 && left >= 0 && top + bh <= 100 && left + bw <= 100);
        }
    }

    [Fact]
    public void GaussianNoiseHasTheRequestedMeanAndStd()
    {
        int n = 256 * 256;
        var x = Tensor.Full([1, 256, 256], 0.5f);
        var y = new GaussianNoise(mean: 0.05f, sigma: 0.1f, clip: false).Apply(x, new Generator(4)).ToArray();
        double mean = y.Average(v => (double)v) - 0.5;
        double std = Math.Sqrt(y.Average(v => (v - 0.5 - mean) * (v - 0.5 - mean)));
        Assert.InRange(mean, 0.05 - 5 * 0.1 / 256, 0.05 + 5 * 0.1 / 256);
        Assert.InRange(std, 0.1 * (1 - 5 / Math.Sqrt(2.0 * n)), 0.1 * (1 + 5 / Math.Sqrt(2.0 * n)));

        var clipped = new GaussianNoise(sigma: 0.5f).Apply(Tensor.Zeros(1, 100, 100), new Generator(4)).ToArray();
        Assert.All(clipped, v => Assert.InRange(v, 0f, 1f));
        double atZero = clipped.Count(v => v == 0) / 10000.0;
        Assert.InRange(atZero, 0.45, 0.55); // half the noise is negative and clips to 0
        Assert.Equal(x.ToArray(), new GaussianNoise(sigma: 0).Apply(x, new Generator(1)).ToArray());
    }

    [Fact]
    public void NormalizeIsPerChannel()
    {
        var x = Tensor.FromArray([1, 2, 3, 4, 10, 20, 30, 40], 2, 2, 2);
        var y = new Normalize([2, 20], [0.5f, 10]).Apply(x, new Generator(1)).ToArray();
        Assert.Equal([-2, 0, 2, 4, -1, 0, 1, 2], y);
        Assert.Equal([0, 1, 2, 3, 9, 19, 29, 39], new Normalize([1], [1]).Apply(x, new Generator(1)).ToArray());
        Assert.Contains("3 mean/std values", Assert.Throws<ArgumentException>(() => new Normalize([0, 0, 0], [1, 1, 1]).Apply(x, new Generator(1))).Message);
    }

    [Fact]
    public void ComposeAppliesInOrder()
    {
        var x = Tensor.FromArray([1, 2, 3, 4], 1, 2, 2);
        var t = new Compose(new RandomHorizontalFlip(p: 1), new Normalize([1], [2]));
        Assert.Equal([0.5f, 0, 1.5f, 1], t.Apply(x, new Generator(1)).ToArray());
        var chain = new Compose(new RandomCrop(2, padding: 1), new RandomErasing(p: 1), new GaussianNoise());
        Assert.Equal(chain.Apply(x, new Generator(9)).ToArray(), chain.Apply(x, new Generator(9)).ToArray());
        Assert.Equal(x.ToArray(), new Compose().Apply(x, new Generator(1)).ToArray());
    }

    [Fact]
    public void RotateChecksWhatTheConstructorChecks()
    {
        static string Message(Action a) => Assert.Throws<ArgumentException>(a).Message;
        var x = Ramp(1, 3, 3);
        Assert.Contains("RandomRotation.Rotate: angle must be finite, got NaN", Message(() => RandomRotation.Rotate(x, double.NaN)));
        Assert.Contains("RandomRotation.Rotate: angle must be finite, got Infinity", Message(() => RandomRotation.Rotate(x, double.PositiveInfinity)));
        Assert.Contains("RandomRotation.Rotate: angle must be finite, got -Infinity", Message(() => RandomRotation.Rotate(x, double.NegativeInfinity)));
        // An undefined mode would otherwise run bilinear; angle 0 would otherwise skip the warp and hide it.
        Assert.Contains("RandomRotation.Rotate: unknown interpolation 7", Message(() => RandomRotation.Rotate(x, 45, (Interpolation)7)));
        Assert.Contains("RandomRotation.Rotate: unknown interpolation 7", Message(() => RandomRotation.Rotate(x, 0, (Interpolation)7)));
        Assert.Contains("RandomRotation.Rotate: fill must be finite, got NaN", Message(() => RandomRotation.Rotate(x, 45, fill: float.NaN)));
        Assert.Contains("RandomRotation.Rotate: fill must be finite, got Infinity", Message(() => RandomRotation.Rotate(x, 45, fill: float.PositiveInfinity)));
        Assert.Contains("RandomRotation.Rotate: input must be one image [C, H, W], got shape [3, 3]", Message(() => RandomRotation.Rotate(Tensor.Zeros(3, 3), 45)));
        Assert.Contains("RandomRotation: unknown interpolation 7", Message(() => new RandomRotation(10, (Interpolation)7)));
        Assert.Contains("RandomRotation: fill must be finite, got NaN", Message(() => new RandomRotation(10, fill: float.NaN)));
        Assert.Contains("RandomAffine: unknown interpolation 7", Message(() => new RandomAffine(10, interpolation: (Interpolation)7)));
        Assert.Contains("RandomAffine: fill must be finite, got NaN", Message(() => new RandomAffine(10, fill: float.NaN)));
        Assert.Contains("RandomCrop: fill must be finite, got -Infinity", Message(() => new RandomCrop(2, padding: 1, fill: float.NegativeInfinity)));
    }

    [Fact]
    public void BadArgumentsNameTheTransformAndTheValue()
    {
        static string Message(Action a) => Assert.ThrowsAny<ArgumentException>(a).Message;
        Assert.Contains("RandomHorizontalFlip: p must be in [0, 1], got 1.5", Message(() => new RandomHorizontalFlip(1.5f)));
        Assert.Contains("RandomVerticalFlip: p must be in [0, 1], got -0.1", Message(() => new RandomVerticalFlip(-0.1f)));
        Assert.Contains("RandomCrop: size must be positive, got (0, 3)", Message(() => new RandomCrop((0, 3))));
        Assert.Contains("RandomCrop: padding must be non-negative, got -1", Message(() => new RandomCrop(3, padding: -1)));
        Assert.Contains("RandomRotation: degrees", Message(() => new RandomRotation(-5)));
        Assert.Contains("(10, 5)", Message(() => new RandomRotation((10, 5))));
        Assert.Contains("RandomAffine: translate fractions must be in [0, 1], got (1.5, 0)", Message(() => new RandomAffine(0, translate: (1.5f, 0))));
        Assert.Contains("RandomAffine: scale", Message(() => new RandomAffine(0, scale: (0, 1))));
        Assert.Contains("RandomErasing: scale must be a range (min, max) with 0 ≤ min ≤ max ≤ 1, got (0.5, 0.2)", Message(() => new RandomErasing(scale: (0.5f, 0.2f))));
        Assert.Contains("RandomErasing: ratio", Message(() => new RandomErasing(ratio: (0, 1))));
        Assert.Contains("GaussianNoise: sigma must be finite and non-negative, got -1", Message(() => new GaussianNoise(sigma: -1)));
        Assert.Contains("Normalize: std must be finite and non-zero (division by it), got 0", Message(() => new Normalize([0, 0], [1, 0])));
        Assert.Contains("Normalize: mean has 2 values and std has 3", Message(() => new Normalize([0, 0], [1, 1, 1])));
        Assert.Contains("RandomCrop: input must be one image [C, H, W], got shape [2, 3]", Message(() => new RandomCrop(1).Apply(Tensor.Zeros(2, 3), new Generator(1))));
    }
}
