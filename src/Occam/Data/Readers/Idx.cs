using System.Buffers.Binary;
using System.Numerics.Tensors;

namespace Occam.Data.Readers;

/// <summary>
/// Reads IDX files, the format of MNIST and Fashion-MNIST (LeCun et al.): two zero bytes, a dtype byte
/// (0x08 uint8, 0x09 int8, 0x0B int16, 0x0C int32, 0x0D float32, 0x0E float64), the number of dims, then
/// each dim as a big-endian int32, then the values, big-endian, row-major. Gzipped files (magic 1f 8b)
/// are decompressed on the fly. Values are returned unscaled as floats (pixels stay 0..255); a float64 beyond
/// float32's range is an error, not an infinity.
/// </summary>
public static class Idx
{
    /// <summary>Reads an IDX file, raw or gzipped.</summary>
    public static Tensor Read(string path)
    {
        using var file = StreamData.OpenFile(path);
        return Read(file, path);
    }

    /// <summary>Reads IDX data, raw or gzipped, from the stream's current position.</summary>
    public static Tensor Read(Stream stream) => Read(stream, "IDX stream");

    static Tensor Read(Stream stream, string name)
    {
        var array = ReadArray(stream, name);
        try { return ToTensor(array, 1f); }
        catch (OverflowException o) { throw new InvalidDataException($"{name}: the float64 (0x0E) data holds {o.Message}"); }
    }

    /// <summary>The raw array: dtype code, shape and big-endian value bytes, validated against the header.</summary>
    internal static IdxArray ReadArray(Stream stream, string name)
    {
        ArgumentNullException.ThrowIfNull(stream);
        var source = StreamData.Decompressed(stream);
        try
        {
            var magic = StreamData.ReadExactly(source, 4, name, "IDX magic number");
            if (magic[0] != 0 || magic[1] != 0)
                throw new InvalidDataException($"{name}: not an IDX file (magic number {Convert.ToHexString(magic)} should start with 0000)");
            byte dtype = magic[2];
            int width = ElementSize(dtype);
            if (width == 0) throw new InvalidDataException($"{name}: unknown IDX dtype 0x{dtype:X2} (expected 08, 09, 0B, 0C, 0D or 0E)");
            int rank = magic[3];
            var dims = StreamData.ReadExactly(source, 4L * rank, name, "IDX header");
            var shape = new int[rank];
            long count = 1;
            for (int i = 0; i < rank; i++)
            {
                uint d = BinaryPrimitives.ReadUInt32BigEndian(dims.AsSpan(4 * i));
                if (d > int.MaxValue) throw new InvalidDataException($"{name}: IDX dim {i} is {d}, larger than {int.MaxValue}");
                shape[i] = (int)d;
                count *= d;
                if (count > Array.MaxLength) throw new InvalidDataException($"{name}: IDX header claims {Shape.Format(shape.AsSpan(0, i + 1))}… elements, more than a tensor holds");
            }
            var data = StreamData.ReadExactly(source, count * width, name, $"IDX data of shape {Shape.Format(shape)}");
            StreamData.ExpectEnd(source, name, "IDX");
            return new IdxArray(dtype, shape, data);
        }
        finally
        {
            if (source != stream) source.Dispose();
        }
    }

    /// <summary>The values as floats, divided by <paramref name="divisor"/> (255 maps pixels to [0, 1] as torchvision's ToTensor).</summary>
    internal static Tensor ToTensor(IdxArray array, float divisor)
    {
        int n = Shape.Size(array.Shape);
        var values = GC.AllocateUninitializedArray<float>(n);
        ReadOnlySpan<byte> b = array.Data;
        switch (array.DType)
        {
            case 0x08:
                TensorPrimitives.ConvertChecked<byte, float>(b, values);
                if (divisor != 1) TensorPrimitives.Divide(values, divisor, values);
                break;
            case 0x09: for (int i = 0; i < n; i++) values[i] = (sbyte)b[i] / divisor; break;
            case 0x0B: for (int i = 0; i < n; i++) values[i] = BinaryPrimitives.ReadInt16BigEndian(b[(2 * i)..]) / divisor; break;
            case 0x0C: for (int i = 0; i < n; i++) values[i] = BinaryPrimitives.ReadInt32BigEndian(b[(4 * i)..]) / divisor; break;
            case 0x0D: for (int i = 0; i < n; i++) values[i] = BinaryPrimitives.ReadSingleBigEndian(b[(4 * i)..]) / divisor; break;
            default: for (int i = 0; i < n; i++) values[i] = StreamData.ToFloat32(BinaryPrimitives.ReadDoubleBigEndian(b[(8 * i)..])) / divisor; break;
        }
        return new Tensor(values, (int[])array.Shape.Clone());
    }

    static int ElementSize(byte dtype) => dtype switch
    {
        0x08 or 0x09 => 1,
        0x0B => 2,
        0x0C or 0x0D => 4,
        0x0E => 8,
        _ => 0,
    };
}

/// <summary>An IDX array as stored: dtype code, shape, big-endian value bytes.</summary>
internal sealed record IdxArray(byte DType, int[] Shape, byte[] Data);
