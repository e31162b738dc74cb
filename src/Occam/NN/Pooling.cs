namespace Occam.NN;

/// <summary>2-D max pooling (torch.nn.MaxPool2d); stride defaults to the kernel size.</summary>
public sealed class MaxPool2d(int kernelSize, int? stride = null, int padding = 0, bool ceilMode = false) : Module
{
    public int KernelSize { get; } = kernelSize > 0 ? kernelSize : throw new ArgumentException($"MaxPool2d: kernelSize must be positive, got {kernelSize}");
    public int Stride { get; } = stride is null or > 0 ? stride ?? kernelSize : throw new ArgumentException($"MaxPool2d: stride must be positive, got {stride}");
    public int Padding { get; } = padding < 0 ? throw new ArgumentException($"MaxPool2d: padding must be non-negative, got {padding}")
        : padding * 2 <= kernelSize ? padding : throw new ArgumentException($"MaxPool2d: pad should be at most half of kernel size, got padding {padding} for kernel {kernelSize}");

    /// <summary>Round the output size up (ceil_mode=True): a last, partial window covers what floor would drop.</summary>
    public bool CeilMode { get; } = ceilMode;

    public override Tensor Forward(Tensor input) => Unbatched(input, x => Functional.MaxPool2d(x, KernelSize, Stride, Padding, CeilMode));

    protected override string Describe() => $"MaxPool2d(kernel={KernelSize}, stride={Stride}, padding={Padding}{(CeilMode ? ", ceil_mode=True" : "")})";
}

/// <summary>2-D average pooling (torch.nn.AvgPool2d); stride defaults to the kernel size.</summary>
public sealed class AvgPool2d(int kernelSize, int? stride = null, int padding = 0, bool countIncludePad = true, bool ceilMode = false) : Module
{
    public int KernelSize { get; } = kernelSize > 0 ? kernelSize : throw new ArgumentException($"AvgPool2d: kernelSize must be positive, got {kernelSize}");
    public int Stride { get; } = stride is null or > 0 ? stride ?? kernelSize : throw new ArgumentException($"AvgPool2d: stride must be positive, got {stride}");
    public int Padding { get; } = padding < 0 ? throw new ArgumentException($"AvgPool2d: padding must be non-negative, got {padding}")
        : padding * 2 <= kernelSize ? padding : throw new ArgumentException($"AvgPool2d: pad should be at most half of kernel size, got padding {padding} for kernel {kernelSize}");
    public bool CountIncludePad { get; } = countIncludePad;

    /// <summary>Round the output size up (ceil_mode=True): a last, partial window covers what floor would drop.</summary>
    public bool CeilMode { get; } = ceilMode;

    public override Tensor Forward(Tensor input) => Unbatched(input, x => Functional.AvgPool2d(x, KernelSize, Stride, Padding, CountIncludePad, CeilMode));

    protected override string Describe() => $"AvgPool2d(kernel={KernelSize}, stride={Stride}, padding={Padding}{(CeilMode ? ", ceil_mode=True" : "")})";
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
