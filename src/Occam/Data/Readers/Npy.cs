using System.Buffers.Binary;
using System.Text;
using System.Text.RegularExpressions;

namespace Occam.Data.Readers;

/// <summary>
/// Reads NumPy .npy files (format versions 1.0, 2.0, 3.0): the magic "\x93NUMPY", a version, a header
/// length (uint16 in v1, uint32 in v2/v3), a Python-dict header with 'descr', 'fortran_order' and 'shape',
/// then the values. Supported dtypes: float16, float32, float64, int64, int32, int16, int8, uint64, uint32,
/// uint16, uint8 and bool, little- or big-endian; values become float32 (integers beyond 2²⁴ lose precision; a
/// float64 beyond float32's range is an error, not an infinity). Fortran-ordered arrays are reordered to C order
/// with the same shape, as NumPy's np.ascontiguousarray would give.
/// </summary>
public static partial class Npy
{
    /// <summary>Reads a .npy file.</summary>
    public static Tensor Read(string path)
    {
        using var file = StreamData.OpenFile(path);
        return Read(file, path);
    }

    /// <summary>Reads .npy data from the stream's current position.</summary>
    public static Tensor Read(Stream stream) => Read(stream, "NPY stream");

    const int MaxHeader = 1 << 20;

    static Tensor Read(Stream stream, string name)
    {
        ArgumentNullException.ThrowIfNull(stream);
        var preamble = StreamData.ReadExactly(stream, 8, name, "NPY magic number");
        if (preamble[0] != 0x93 || Encoding.ASCII.GetString(preamble, 1, 5) != "NUMPY")
            throw new InvalidDataException($"{name}: not a .npy file (it does not start with \\x93NUMPY)");
        int major = preamble[6];
        if (major is < 1 or > 3) throw new InvalidDataException($"{name}: unsupported .npy format version {major}.{preamble[7]} (1, 2 and 3 are supported)");
        var lengthBytes = StreamData.ReadExactly(stream, major == 1 ? 2 : 4, name, "NPY header length");
        long headerLength = major == 1 ? BinaryPrimitives.ReadUInt16LittleEndian(lengthBytes) : BinaryPrimitives.ReadUInt32LittleEndian(lengthBytes);
        if (headerLength > MaxHeader) throw new InvalidDataException($"{name}: .npy header length {headerLength} is implausible (over {MaxHeader} bytes); the file is corrupt");
        var headerBytes = StreamData.ReadExactly(stream, headerLength, name, "NPY header");
        string header = (major == 3 ? Encoding.UTF8 : Encoding.Latin1).GetString(headerBytes);

        string descr = Field(DescrPattern(), header, "descr", name);
        bool fortran = Field(FortranPattern(), header, "fortran_order", name) == "True";
        var shape = ParseShape(Field(ShapePattern(), header, "shape", name), name);
        var (width, bigEndian, convert) = DType(descr, name);
        long count = 1;
        foreach (int d in shape)
        {
            count *= d;
            if (count > Array.MaxLength) throw new InvalidDataException($"{name}: .npy header claims shape {Shape.Format(shape)}, more elements than a tensor holds");
        }
        var data = StreamData.ReadExactly(stream, count * width, name, $"NPY data of dtype '{descr}' and shape {Shape.Format(shape)}");
        // Bytes reversed in place, a big-endian element reads as the little-endian one of the same type.
        if (bigEndian && width > 1)
            for (long offset = 0; offset < data.Length; offset += width) data.AsSpan((int)offset, width).Reverse();
        var values = GC.AllocateUninitializedArray<float>((int)count);
        int i = 0;
        try { for (; i < values.Length; i++) values[i] = convert(data.AsSpan(i * width, width)); }
        catch (OverflowException o) { throw new InvalidDataException($"{name}: element {i} of the '{descr}' data is {o.Message}"); }
        return new Tensor(fortran ? FromFortranOrder(values, shape) : values, shape);
    }

    /// <summary>Column-major (Fortran-order) values of <paramref name="shape"/> in row-major order: element
    /// (i₀, …, iₖ) is at Σ iⱼ · (shape₀ ⋯ shapeⱼ₋₁) in the file.</summary>
    static float[] FromFortranOrder(float[] values, int[] shape)
    {
        if (shape.Length < 2 || values.Length == 0) return values;
        var strides = new int[shape.Length];
        for (int d = 0, stride = 1; d < shape.Length; stride *= shape[d], d++) strides[d] = stride;
        var result = GC.AllocateUninitializedArray<float>(values.Length);
        var index = new int[shape.Length];
        int offset = 0;
        for (int i = 0; i < result.Length; i++)
        {
            result[i] = values[offset];
            for (int d = shape.Length - 1; d >= 0; d--)   // the next row-major index: the last axis turns fastest
            {
                offset += strides[d];
                if (++index[d] < shape[d]) break;
                offset -= strides[d] * shape[d];
                index[d] = 0;
            }
        }
        return result;
    }

    delegate float Converter(ReadOnlySpan<byte> bytes);

    /// <summary>The element width, whether it is big-endian ('&gt;'; '&lt;', '|' and '=' read as little-endian), and the
    /// conversion of a little-endian element.</summary>
    static (int Width, bool BigEndian, Converter Convert) DType(string descr, string name)
    {
        bool bigEndian = descr.StartsWith('>');
        string code = descr.TrimStart('<', '|', '=', '>');
        (int Width, Converter Convert) type = code switch
        {
            "f2" => (2, b => (float)BinaryPrimitives.ReadHalfLittleEndian(b)),
            "f4" => (4, b => BinaryPrimitives.ReadSingleLittleEndian(b)),
            "f8" => (8, b => StreamData.ToFloat32(BinaryPrimitives.ReadDoubleLittleEndian(b))),
            "i8" => (8, b => BinaryPrimitives.ReadInt64LittleEndian(b)),
            "i4" => (4, b => BinaryPrimitives.ReadInt32LittleEndian(b)),
            "i2" => (2, b => BinaryPrimitives.ReadInt16LittleEndian(b)),
            "i1" => (1, b => (sbyte)b[0]),
            "u8" => (8, b => BinaryPrimitives.ReadUInt64LittleEndian(b)),
            "u4" => (4, b => BinaryPrimitives.ReadUInt32LittleEndian(b)),
            "u2" => (2, b => BinaryPrimitives.ReadUInt16LittleEndian(b)),
            "u1" => (1, b => b[0]),
            "b1" => (1, b => b[0] != 0 ? 1f : 0f),
            _ => throw new InvalidDataException($"{name}: unsupported .npy dtype '{descr}' (supported: float16, float32, float64, int64, int32, int16, int8, uint64, uint32, uint16, uint8, bool)"),
        };
        return (type.Width, bigEndian, type.Convert);
    }

    static string Field(Regex pattern, string header, string field, string name)
    {
        var match = pattern.Match(header);
        if (!match.Success) throw new InvalidDataException($"{name}: the .npy header has no valid '{field}' entry: {header.Trim()}");
        return match.Groups[1].Value;
    }

    static int[] ParseShape(string text, string name)
    {
        var parts = text.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
        var shape = new int[parts.Length];
        for (int i = 0; i < parts.Length; i++)
            if (!int.TryParse(parts[i], out shape[i]) || shape[i] < 0)
                throw new InvalidDataException($"{name}: the .npy header's shape ({text}) has an invalid dimension '{parts[i]}'");
        return shape;
    }

    [GeneratedRegex(@"['""]descr['""]\s*:\s*['""]([^'""]*)['""]")]
    private static partial Regex DescrPattern();

    [GeneratedRegex(@"['""]fortran_order['""]\s*:\s*(True|False)")]
    private static partial Regex FortranPattern();

    [GeneratedRegex(@"['""]shape['""]\s*:\s*\(([^)]*)\)")]
    private static partial Regex ShapePattern();
}
