using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Occam.Kernels;

/// <summary>
/// im2col / col2im for one NCHW image, in PyTorch/Caffe order: columns is
/// [(C·kH·kW) × (outH·outW)] with row (c·kH + ki)·kW + kj and column oh·outW + ow,
/// holding image[c, oh·sH − pH + ki·dH, ow·sW − pW + kj·dW] (0 outside the image).
/// Convolution forward is then W[outC × C·kH·kW] · columns. Groups are the caller's:
/// it passes a channel sub-range of the image.
/// </summary>
public static class Im2Col
{
    /// <summary>Output length of a convolution/pool axis: ⌊(input + 2·pad − dilation·(kernel − 1) − 1) / stride⌋ + 1 (≤ 0 when the window does not fit).</summary>
    public static int OutputSize(int input, int kernel, int stride, int pad, int dilation)
    {
        long span = (long)input + 2L * pad - (long)dilation * (kernel - 1) - 1;
        // Floor division, so a window that does not fit gives ≤ 0 instead of C#'s truncated 1.
        long q = span >= 0 ? span / stride : -((-span + stride - 1) / stride);
        return (int)Math.Clamp(q + 1, int.MinValue, int.MaxValue);
    }

    /// <summary>Validates a 2-D window geometry (sizes ≥ 1, stride ≥ 1, pad ≥ 0, dilation ≥ 1, output ≥ 1) and returns (outH, outW); messages name <paramref name="op"/>.</summary>
    public static (int OutH, int OutW) OutputShape(string op, int height, int width, int kernelH, int kernelW,
        int strideH, int strideW, int padH, int padW, int dilationH, int dilationW)
    {
        if (height < 1 || width < 1)
            throw new ArgumentException($"{op}: input height and width must be >= 1, got [{height}, {width}]");
        if (kernelH < 1 || kernelW < 1)
            throw new ArgumentException($"{op}: kernel size must be >= 1, got [{kernelH}, {kernelW}]");
        if (strideH < 1 || strideW < 1)
            throw new ArgumentException($"{op}: stride must be >= 1, got [{strideH}, {strideW}]");
        if (padH < 0 || padW < 0)
            throw new ArgumentException($"{op}: padding must be >= 0, got [{padH}, {padW}]");
        if (dilationH < 1 || dilationW < 1)
            throw new ArgumentException($"{op}: dilation must be >= 1, got [{dilationH}, {dilationW}]");
        int outH = OutputSize(height, kernelH, strideH, padH, dilationH);
        int outW = OutputSize(width, kernelW, strideW, padW, dilationW);
        if (outH < 1 || outW < 1)
            throw new ArgumentException(
                $"{op}: output size would be [{outH}, {outW}] for input [{height}, {width}], kernel [{kernelH}, {kernelW}], " +
                $"stride [{strideH}, {strideW}], padding [{padH}, {padW}], dilation [{dilationH}, {dilationW}]; it must be at least 1");
        return (outH, outW);
    }

    /// <summary>im2col: columns[(c·kH + ki)·kW + kj, oh·outW + ow] = image[c, oh·sH − pH + ki·dH, ow·sW − pW + kj·dW], 0 in the padding.</summary>
    public static void Forward(ReadOnlySpan<float> image, int channels, int height, int width,
        int kernelH, int kernelW, int strideH, int strideW, int padH, int padW, int dilationH, int dilationW,
        Span<float> columns) =>
        Forward(image, channels, height, width, kernelH, kernelW, strideH, strideW, padH, padW, dilationH, dilationW, columns, 0);

    /// <summary><see cref="Forward(ReadOnlySpan{float}, int, int, int, int, int, int, int, int, int, int, int, Span{float})"/>
    /// with the rows of columns <paramref name="ld"/> apart (ld ≥ outH·outW; 0 for outH·outW): one image's columns
    /// beside other images' in a wider matrix, for one product over several images.</summary>
    internal static void Forward(ReadOnlySpan<float> image, int channels, int height, int width,
        int kernelH, int kernelW, int strideH, int strideW, int padH, int padW, int dilationH, int dilationW,
        Span<float> columns, int ld)
    {
        var (outH, outW, rowStride) = Check("image", image.Length, columns.Length, ld, channels, height, width,
            kernelH, kernelW, strideH, strideW, padH, padW, dilationH, dilationW);
        int plane = outH * outW, imagePlane = height * width;
        if (kernelH == 1 && kernelW == 1 && strideH == 1 && strideW == 1 && padH == 0 && padW == 0 && rowStride == plane)
        {
            image[..(channels * imagePlane)].CopyTo(columns);
            return;
        }

        int row = 0;
        for (int c = 0; c < channels; c++)
        {
            ReadOnlySpan<float> src = image.Slice(c * imagePlane, imagePlane);
            for (int ki = 0; ki < kernelH; ki++)
            {
                int offH = ki * dilationH - padH;
                var (oh0, oh1) = ValidRange(offH, strideH, height, outH);
                for (int kj = 0; kj < kernelW; kj++, row++)
                {
                    int offW = kj * dilationW - padW;
                    var (ow0, ow1) = ValidRange(offW, strideW, width, outW);
                    Span<float> dst = columns.Slice(row * rowStride, plane);
                    dst[..(oh0 * outW)].Clear();
                    dst[(oh1 * outW)..].Clear();
                    int n = ow1 - ow0;
                    if (IsShiftedPlane(strideH, strideW, width, outW, n))
                    {
                        // Output rows oh0..oh1 read consecutive input rows at a fixed column shift: one copy of the
                        // whole block, then the few columns that wrapped into a neighbouring row are zeroed.
                        var (from, to, shift) = ShiftedBlock(oh0, oh1, offH, offW, width, imagePlane);
                        src[(from + shift)..(to + shift)].CopyTo(dst[from..to]);
                        ClearWrapped(dst, oh0, oh1, width, ow0, ow1);
                        continue;
                    }
                    for (int oh = oh0; oh < oh1; oh++)
                    {
                        Span<float> d = dst.Slice(oh * outW, outW);
                        d[..ow0].Clear();
                        d[ow1..].Clear();
                        if (n == 0) continue;
                        int start = (oh * strideH + offH) * width + ow0 * strideW + offW;
                        if (strideW == 1)
                            src.Slice(start, n).CopyTo(d.Slice(ow0, n));
                        else
                            Gather(src.Slice(start, (n - 1) * strideW + 1), strideW, d.Slice(ow0, n));
                    }
                }
            }
        }
    }

    /// <summary>col2im, the adjoint of <see cref="Forward(ReadOnlySpan{float}, int, int, int, int, int, int, int, int, int, int, int, Span{float})"/>: imageGrad[c, ih, iw] += Σ columns over every (ki, kj, oh, ow) that read that pixel.</summary>
    public static void Backward(ReadOnlySpan<float> columns, int channels, int height, int width,
        int kernelH, int kernelW, int strideH, int strideW, int padH, int padW, int dilationH, int dilationW,
        Span<float> imageGrad) =>
        Backward(columns, 0, scratch: false, channels, height, width, kernelH, kernelW, strideH, strideW, padH, padW, dilationH, dilationW, imageGrad);

    /// <summary>
    /// <see cref="Backward(ReadOnlySpan{float}, int, int, int, int, int, int, int, int, int, int, int, Span{float})"/>
    /// for callers whose columns are scratch: the entries that read the padding are zeroed in passing, which lets a
    /// stride-1 "same"-width convolution add each kernel offset's whole block in one vector pass. Same result, bit for bit.
    /// </summary>
    public static void BackwardInPlace(Span<float> columns, int channels, int height, int width,
        int kernelH, int kernelW, int strideH, int strideW, int padH, int padW, int dilationH, int dilationW,
        Span<float> imageGrad) =>
        Backward(columns, 0, scratch: true, channels, height, width, kernelH, kernelW, strideH, strideW, padH, padW, dilationH, dilationW, imageGrad);

    /// <summary><see cref="BackwardInPlace(Span{float}, int, int, int, int, int, int, int, int, int, int, int, Span{float})"/>
    /// of columns whose rows are <paramref name="ld"/> apart, as <see cref="Forward(ReadOnlySpan{float}, int, int, int, int, int, int, int, int, int, int, int, Span{float}, int)"/> writes them.</summary>
    internal static void BackwardInPlace(Span<float> columns, int ld, int channels, int height, int width,
        int kernelH, int kernelW, int strideH, int strideW, int padH, int padW, int dilationH, int dilationW,
        Span<float> imageGrad) =>
        Backward(columns, ld, scratch: true, channels, height, width, kernelH, kernelW, strideH, strideW, padH, padW, dilationH, dilationW, imageGrad);

    private static void Backward(ReadOnlySpan<float> columns, int ld, bool scratch, int channels, int height, int width,
        int kernelH, int kernelW, int strideH, int strideW, int padH, int padW, int dilationH, int dilationW,
        Span<float> imageGrad)
    {
        var (outH, outW, rowStride) = Check("imageGrad", imageGrad.Length, columns.Length, ld, channels, height, width,
            kernelH, kernelW, strideH, strideW, padH, padW, dilationH, dilationW);
        int plane = outH * outW, imagePlane = height * width;
        if (kernelH == 1 && kernelW == 1 && strideH == 1 && strideW == 1 && padH == 0 && padW == 0 && rowStride == plane)
        {
            Span<float> all = imageGrad[..(channels * imagePlane)];
            TensorPrimitives.Add(all, columns[..all.Length], all);
            return;
        }

        int row = 0;
        for (int c = 0; c < channels; c++)
        {
            Span<float> dst = imageGrad.Slice(c * imagePlane, imagePlane);
            for (int ki = 0; ki < kernelH; ki++)
            {
                int offH = ki * dilationH - padH;
                var (oh0, oh1) = ValidRange(offH, strideH, height, outH);
                for (int kj = 0; kj < kernelW; kj++, row++)
                {
                    int offW = kj * dilationW - padW;
                    var (ow0, ow1) = ValidRange(offW, strideW, width, outW);
                    int n = ow1 - ow0;
                    if (n == 0) continue;
                    if (scratch && IsShiftedPlane(strideH, strideW, width, outW, n))
                    {
                        // The adjoint of Forward's block copy: zero the wrapped columns, then one add of the block.
                        Span<float> block = MemoryMarshal.CreateSpan(ref MemoryMarshal.GetReference(columns.Slice(row * rowStride, plane)), plane);
                        ClearWrapped(block, oh0, oh1, width, ow0, ow1);
                        var (from, to, shift) = ShiftedBlock(oh0, oh1, offH, offW, width, imagePlane);
                        Span<float> d = dst[(from + shift)..(to + shift)];
                        TensorPrimitives.Add(d, block[from..to], d);
                        continue;
                    }
                    ReadOnlySpan<float> src = columns.Slice(row * rowStride, plane);
                    for (int oh = oh0; oh < oh1; oh++)
                    {
                        ReadOnlySpan<float> s = src.Slice(oh * outW + ow0, n);
                        int start = (oh * strideH + offH) * width + ow0 * strideW + offW;
                        if (strideW == 1)
                        {
                            Span<float> d = dst.Slice(start, n);
                            TensorPrimitives.Add(d, s, d);
                        }
                        else
                            ScatterAdd(s, dst.Slice(start, (n - 1) * strideW + 1), strideW);
                    }
                }
            }
        }
    }

    // Stride 1 and an output as wide as the input ("same" padding): output row oh reads input row oh + offH, every
    // column shifted by offW, so a kernel offset's rows form one contiguous block of the input plane.
    private static bool IsShiftedPlane(int strideH, int strideW, int width, int outW, int validColumns) =>
        strideH == 1 && strideW == 1 && outW == width && validColumns > 0;

    // The columns-plane range [from, to) of output rows oh0..oh1 and the shift to their input indices, clipped to the
    // input plane (what is clipped lies in wrapped columns, which are zero).
    private static (int From, int To, int Shift) ShiftedBlock(int oh0, int oh1, int offH, int offW, int width, int imagePlane)
    {
        int shift = offH * width + offW;
        int from = Math.Max(oh0 * width, -shift), to = Math.Min(oh1 * width, imagePlane - shift);
        // No row inside (a kernel row wholly in the padding of a one-row input, say): an empty block, not one past the end.
        return from < to ? (from, to, shift) : (0, 0, 0);
    }

    // Zeroes columns [0, ow0) and [ow1, width) of output rows oh0..oh1 (the entries that read the padding).
    private static void ClearWrapped(Span<float> plane, int oh0, int oh1, int width, int ow0, int ow1)
    {
        for (int oh = oh0; oh < oh1; oh++)
        {
            Span<float> r = plane.Slice(oh * width, width);
            for (int i = 0; i < ow0; i++) r[i] = 0;
            for (int i = ow1; i < width; i++) r[i] = 0;
        }
    }

    // Outputs o in [lo, hi) read input o·stride + offset inside [0, size).
    private static (int Lo, int Hi) ValidRange(int offset, int stride, int size, int outSize)
    {
        int lo = offset >= 0 ? 0 : (-offset + stride - 1) / stride;
        int hi = offset > size - 1 ? 0 : (size - 1 - offset) / stride + 1;
        lo = Math.Min(lo, outSize);
        hi = Math.Clamp(hi, lo, outSize);
        return (lo, hi);
    }

    // d[i] = s[i·stride]; the caller sized s to (d.Length − 1)·stride + 1.
    private static void Gather(ReadOnlySpan<float> s, int stride, Span<float> d)
    {
        ref float sr = ref MemoryMarshal.GetReference(s);
        ref float dr = ref MemoryMarshal.GetReference(d);
        for (int i = 0, j = 0; i < d.Length; i++, j += stride)
            Unsafe.Add(ref dr, i) = Unsafe.Add(ref sr, j);
    }

    // d[i·stride] += s[i]; the caller sized d to (s.Length − 1)·stride + 1.
    private static void ScatterAdd(ReadOnlySpan<float> s, Span<float> d, int stride)
    {
        ref float sr = ref MemoryMarshal.GetReference(s);
        ref float dr = ref MemoryMarshal.GetReference(d);
        for (int i = 0, j = 0; i < s.Length; i++, j += stride)
            Unsafe.Add(ref dr, j) += Unsafe.Add(ref sr, i);
    }

    // (outH, outW, the columns' row stride: ld, or outH·outW when ld is 0)
    private static (int OutH, int OutW, int RowStride) Check(string imageName, int imageLength, int columnsLength, int ld, int channels, int height, int width,
        int kernelH, int kernelW, int strideH, int strideW, int padH, int padW, int dilationH, int dilationW)
    {
        const string op = nameof(Im2Col);
        if (channels < 0)
            throw new ArgumentException($"{op}: channels must be >= 0, got {channels}");
        var (outH, outW) = OutputShape(op, height, width, kernelH, kernelW, strideH, strideW, padH, padW, dilationH, dilationW);
        int plane = outH * outW, rowStride = ld == 0 ? plane : ld;
        if (rowStride < plane)
            throw new ArgumentException($"{op}: the columns' row stride {ld} is less than a row ({plane} = {outH}·{outW})");
        CheckLength(op, imageName, imageLength, (long)channels * height * width);
        long rows = (long)channels * kernelH * kernelW;
        CheckLength(op, "columns", columnsLength, rows == 0 ? 0 : (rows - 1) * rowStride + plane);
        return (outH, outW, rowStride);
    }

    internal static void CheckLength(string op, string name, int length, long needed)
    {
        if (length < needed)
            throw new ArgumentException($"{op}: {name} has {length} elements, needs {needed}");
    }
}
