namespace Occam.NN;

/// <summary>2-D max pooling (torch.nn.MaxPool2d); stride defaults to the kernel size. Sizes are one number for both
/// dims or (H, W) pairs, as PyTorch's kernel_size=(2, 3).</summary>
public sealed class MaxPool2d : Module
{
    public MaxPool2d(int kernelSize, int? stride = null, int padding = 0, bool ceilMode = false)
        : this((kernelSize, kernelSize), stride is int s ? (s, s) : null, (padding, padding), ceilMode) { }

    public MaxPool2d((int H, int W) kernelSize, (int H, int W)? stride = null, (int H, int W) padding = default, bool ceilMode = false)
    {
        (KernelSize, Stride, Padding) = Pooling.Check("MaxPool2d", kernelSize, stride, padding);
        CeilMode = ceilMode;
    }

    public (int H, int W) KernelSize { get; }
    public (int H, int W) Stride { get; }
    public (int H, int W) Padding { get; }

    /// <summary>Round the output size up (ceil_mode=True): a last, partial window covers what floor would drop.</summary>
    public bool CeilMode { get; }

    public override Tensor Forward(Tensor input) => Unbatched(input, x => Functional.MaxPool2d(x, KernelSize, Stride, Padding, CeilMode));

    protected override string Describe() =>
        $"MaxPool2d(kernel={Pooling.Format(KernelSize)}, stride={Pooling.Format(Stride)}, padding={Pooling.Format(Padding)}{(CeilMode ? ", ceil_mode=True" : "")})";
}

/// <summary>2-D average pooling (torch.nn.AvgPool2d); stride defaults to the kernel size. Sizes are one number for both
/// dims or (H, W) pairs. With <c>divisorOverride</c> d, each output is the sum over its window's cells inside the input
/// divided by d (PyTorch's divisor_override), whatever <c>countIncludePad</c> says.</summary>
public sealed class AvgPool2d : Module
{
    public AvgPool2d(int kernelSize, int? stride = null, int padding = 0, bool countIncludePad = true, bool ceilMode = false, int? divisorOverride = null)
        : this((kernelSize, kernelSize), stride is int s ? (s, s) : null, (padding, padding), countIncludePad, ceilMode, divisorOverride) { }

    public AvgPool2d((int H, int W) kernelSize, (int H, int W)? stride = null, (int H, int W) padding = default, bool countIncludePad = true, bool ceilMode = false,
        int? divisorOverride = null)
    {
        (KernelSize, Stride, Padding) = Pooling.Check("AvgPool2d", kernelSize, stride, padding);
        if (divisorOverride == 0) throw new ArgumentException("AvgPool2d: divisorOverride must not be zero, got 0");
        CountIncludePad = countIncludePad;
        CeilMode = ceilMode;
        DivisorOverride = divisorOverride;
    }

    public (int H, int W) KernelSize { get; }
    public (int H, int W) Stride { get; }
    public (int H, int W) Padding { get; }
    public bool CountIncludePad { get; }

    /// <summary>Round the output size up (ceil_mode=True): a last, partial window covers what floor would drop.</summary>
    public bool CeilMode { get; }

    /// <summary>The divisor of every window's sum, or null for the window's size.</summary>
    public int? DivisorOverride { get; }

    public override Tensor Forward(Tensor input) => Unbatched(input, x =>
    {
        if (DivisorOverride is not int d) return Functional.AvgPool2d(x, KernelSize, Stride, Padding, CountIncludePad, CeilMode);
        // Σ over the cells inside the input = their mean × their count; composed, so the gradient comes for free.
        var mean = Functional.AvgPool2d(x, KernelSize, Stride, Padding, countIncludePad: false, CeilMode);
        int oh = mean.Dim(2), ow = mean.Dim(3);
        var factor = new float[oh * ow];
        for (int i = 0; i < oh; i++)
            for (int j = 0; j < ow; j++)
                factor[i * ow + j] = (float)(Inside(i, Stride.H, Padding.H, KernelSize.H, x.Dim(2)) * Inside(j, Stride.W, Padding.W, KernelSize.W, x.Dim(3))) / d;
        return mean * Tensor.FromArray(factor, oh, ow);
    });

    // The number of cells of output position o's window that fall inside an input dim of the given size.
    static int Inside(int o, int stride, int padding, int kernel, int size)
    {
        int start = o * stride - padding;
        return Math.Min(start + kernel, size) - Math.Max(start, 0);
    }

    protected override string Describe() =>
        $"AvgPool2d(kernel={Pooling.Format(KernelSize)}, stride={Pooling.Format(Stride)}, padding={Pooling.Format(Padding)}{(CeilMode ? ", ceil_mode=True" : "")}" +
        $"{(DivisorOverride is int d ? $", divisor_override={d}" : "")})";
}

/// <summary>What the pooling modules share: argument checks and how a size prints.</summary>
static class Pooling
{
    public static ((int H, int W) Kernel, (int H, int W) Stride, (int H, int W) Padding) Check(string op, (int H, int W) kernel, (int H, int W)? stride, (int H, int W) padding)
    {
        if (kernel.H < 1 || kernel.W < 1) throw new ArgumentException($"{op}: kernelSize must be positive, got {Format(kernel)}");
        var s = stride ?? kernel;
        if (s.H < 1 || s.W < 1) throw new ArgumentException($"{op}: stride must be positive, got {Format(s)}");
        if (padding.H < 0 || padding.W < 0) throw new ArgumentException($"{op}: padding must be non-negative, got {Format(padding)}");
        if (padding.H * 2 > kernel.H || padding.W * 2 > kernel.W)
            throw new ArgumentException($"{op}: pad should be at most half of kernel size, got padding {Format(padding)} for kernel {Format(kernel)}");
        return (kernel, s, padding);
    }

    /// <summary>"2" for a square size, "(2, 3)" otherwise.</summary>
    public static string Format((int H, int W) size) => size.H == size.W ? size.H.ToString(System.Globalization.CultureInfo.InvariantCulture) : $"({size.H}, {size.W})";
}

/// <summary>Average pooling to a fixed output size (torch.nn.AdaptiveAvgPool2d); (1, 1) is global average pooling.</summary>
public sealed class AdaptiveAvgPool2d : Module
{
    public AdaptiveAvgPool2d(int outputSize) : this((outputSize, outputSize)) { }

    public AdaptiveAvgPool2d((int H, int W) outputSize)
    {
        if (outputSize.H < 1 || outputSize.W < 1) throw new ArgumentException($"AdaptiveAvgPool2d: output size must be positive, got [{outputSize.H}, {outputSize.W}]");
        OutputSize = outputSize;
    }

    public (int H, int W) OutputSize { get; }

    public override Tensor Forward(Tensor input) => Unbatched(input, x => Functional.AdaptiveAvgPool2d(x, OutputSize));

    protected override string Describe() => $"AdaptiveAvgPool2d({OutputSize})";
}
