using System.Buffers.Binary;
using System.Text;
using System.Text.RegularExpressions;

namespace Occam.Data.Readers;

/// <summary>
/// Reads NumPy .npy files (format versions 1.0, 2.0, 3.0): the magic "\x93NUMPY", a version, a header
/// length (uint16 in v1, uint32 in v2/v3), a Python-dict header with 'descr', 'fortran_order' and 'shape',
/// then the values. Supported dtypes: little-endian float32, float64, int64, int32, int16, and uint8, int8,
/// bool; values become float32 (int64 beyond 2²⁴ loses precision; a float64 beyond float32's range is an error, not an infinity). C order only.
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
        string order = Field(FortranPattern(), header, "fortran_order", name);
        if (order == "True")
            throw new InvalidDataException($"{name}: the array is stored in Fortran (column-major) order, which is not supported; save it with np.save(path, np.ascontiguousarray(a))");
        var shape = ParseShape(Field(ShapePattern(), header, "shape", name), name);
        var (width, convert) = DType(descr, name);
        long count = 1;
        foreach (int d in shape)
        {
            count *= d;
            if (count > Array.MaxLength) throw new InvalidDataException($"{name}: .npy header claims shape {Shape.Format(shape)}, more elements than a tensor holds");
        }
        var data = StreamData.ReadExactly(stream, count * width, name, $"NPY data of dtype '{descr}' and shape {Shape.Format(shape)}");
        var values = GC.AllocateUninitializedArray<float>((int)count);
        int i = 0;
        try { for (; i < values.Length; i++) values[i] = convert(data.AsSpan(i * width, width)); }
        catch (OverflowException o) { throw new InvalidDataException($"{name}: element {i} of the '{descr}' data is {o.Message}"); }
        return new Tensor(values, shape);
    }

    delegate float Converter(ReadOnlySpan<byte> bytes);

    static (int Width, Converter Convert) DType(string descr, string name)
    {
        if (descr.Length > 1 && descr[0] == '>' && descr[1..] is not ("u1" or "i1" or "b1"))
            throw new InvalidDataException($"{name}: big-endian dtype '{descr}' is not supported; convert with a.astype(a.dtype.newbyteorder('<'))");
        string code = descr.TrimStart('<', '|', '=', '>');
        return code switch
        {
            "f4" => (4, b => BinaryPrimitives.ReadSingleLittleEndian(b)),
            "f8" => (8, b => StreamData.ToFloat32(BinaryPrimitives.ReadDoubleLittleEndian(b))),
            "i8" => (8, b => BinaryPrimitives.ReadInt64LittleEndian(b)),
            "i4" => (4, b => BinaryPrimitives.ReadInt32LittleEndian(b)),
            "i2" => (2, b => BinaryPrimitives.ReadInt16LittleEndian(b)),
            "u1" => (1, b => b[0]),
            "i1" => (1, b => (sbyte)b[0]),
            "b1" => (1, b => b[0] != 0 ? 1f : 0f),
            _ => throw new InvalidDataException($"{name}: unsupported .npy dtype '{descr}' (supported: float32, float64, int64, int32, int16, uint8, int8, bool)"),
        };
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
