using System.Buffers.Binary;
using System.IO.Compression;
using System.Text;
using Occam.Data.Readers;

namespace Occam.Tests.Data;

public sealed class ReaderTests : IDisposable
{
    readonly string _dir = Directory.CreateTempSubdirectory("occam-readers-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    string Write(string name, byte[] bytes)
    {
        string path = Path.Combine(_dir, name);
        File.WriteAllBytes(path, bytes);
        return path;
    }

    static byte[] Gzip(byte[] bytes)
    {
        using var output = new MemoryStream();
        using (var gz = new GZipStream(output, CompressionLevel.Fastest)) gz.Write(bytes);
        return output.ToArray();
    }

    // ------------------------------------------------------------------ IDX

    static byte[] IdxBytes(byte dtype, int[] dims, byte[] data)
    {
        var bytes = new byte[4 + 4 * dims.Length + data.Length];
        bytes[2] = dtype;
        bytes[3] = (byte)dims.Length;
        for (int i = 0; i < dims.Length; i++) BinaryPrimitives.WriteInt32BigEndian(bytes.AsSpan(4 + 4 * i), dims[i]);
        data.CopyTo(bytes, 4 + 4 * dims.Length);
        return bytes;
    }

    static readonly byte[] Pixels = [0, 1, 2, 127, 128, 255];

    [Fact]
    public void IdxReadsRawAndGzippedUInt8()
    {
        var bytes = IdxBytes(0x08, [1, 2, 3], Pixels);
        Assert.Equal(0x00000803, BinaryPrimitives.ReadInt32BigEndian(bytes));   // the MNIST images magic
        foreach (var path in new[] { Write("a.idx", bytes), Write("a.idx.gz", Gzip(bytes)) })
        {
            var t = Idx.Read(path);
            Assert.Equal([1, 2, 3], t.Shape);
            Assert.Equal([0f, 1, 2, 127, 128, 255], t.ToArray());
        }
        using var stream = new MemoryStream(Gzip(bytes));
        Assert.Equal(6, Idx.Read(stream).Size);
    }

    [Fact]
    public void IdxReadsLabelsAndWiderDTypes()
    {
        Assert.Equal([3f, 1, 4], Idx.Read(Write("l.idx", IdxBytes(0x08, [3], [3, 1, 4]))).ToArray());
        var ints = new byte[8];
        BinaryPrimitives.WriteInt16BigEndian(ints, -300);
        BinaryPrimitives.WriteInt16BigEndian(ints.AsSpan(2), 7);
        Assert.Equal([-300f, 7], Idx.Read(Write("s.idx", IdxBytes(0x0B, [2], ints[..4]))).ToArray());
        var floats = new byte[8];
        BinaryPrimitives.WriteSingleBigEndian(floats, 1.5f);
        BinaryPrimitives.WriteSingleBigEndian(floats.AsSpan(4), -2.25f);
        Assert.Equal([1.5f, -2.25f], Idx.Read(Write("f.idx", IdxBytes(0x0D, [2], floats))).ToArray());
    }

    [Fact]
    public void AFloat64ThatRoundsToFloat32sLargestValueIsKept()
    {
        // as numpy's astype(float32): only a value that rounds to an infinity is out of range
        double max = float.MaxValue, halfUlp = Math.Pow(2, 103);
        Assert.Equal(float.MaxValue, Occam.Data.Readers.StreamData.ToFloat32(max));
        Assert.Equal(float.MaxValue, Occam.Data.Readers.StreamData.ToFloat32(max + halfUlp / 2));
        Assert.Equal(-float.MaxValue, Occam.Data.Readers.StreamData.ToFloat32(-max - halfUlp / 2));
        Assert.Throws<OverflowException>(() => Occam.Data.Readers.StreamData.ToFloat32(max + halfUlp));
        Assert.Equal(float.PositiveInfinity, Occam.Data.Readers.StreamData.ToFloat32(double.PositiveInfinity));
    }

    [Fact]
    public void IdxRejectsFloat64BeyondFloat32RangeButKeepsNaNAndInfinities()
    {
        var doubles = new byte[32];
        double[] kept = [double.NaN, double.PositiveInfinity, double.NegativeInfinity, -3.4e38];
        for (int i = 0; i < 4; i++) BinaryPrimitives.WriteDoubleBigEndian(doubles.AsSpan(8 * i), kept[i]);
        Assert.Equal([float.NaN, float.PositiveInfinity, float.NegativeInfinity, -3.4e38f], Idx.Read(Write("k.idx", IdxBytes(0x0E, [4], doubles))).ToArray());
        BinaryPrimitives.WriteDoubleBigEndian(doubles.AsSpan(16), -1e300);
        string path = Write("o.idx", IdxBytes(0x0E, [4], doubles));
        Assert.Equal($"{path}: the float64 (0x0E) data holds -1E+300, beyond float32's range (±3.4e38)", Assert.Throws<InvalidDataException>(() => Idx.Read(path)).Message);
    }

    [Fact]
    public void IdxRejectsTruncatedFilesNamingTheFile()
    {
        var bytes = IdxBytes(0x08, [2, 3], Pixels);
        foreach (var (name, data) in new[] { ("t.idx", bytes[..^2]), ("t.idx.gz", Gzip(bytes[..^2])), ("h.idx", bytes[..6]) })
        {
            string path = Write(name, data);
            var e = Assert.Throws<InvalidDataException>(() => Idx.Read(path));
            Assert.Contains(path, e.Message);
            Assert.Contains("truncated", e.Message);
        }
    }

    [Fact]
    public void IdxRejectsAnOversizedHeaderWithoutAllocating()
    {
        // Claims 60000 × 28 × 28 and 2³¹−1 × 2³¹−1 images but holds 6 bytes: a clear error, never an out-of-memory.
        foreach (var dims in new[] { new[] { 60000, 28, 28 }, new[] { int.MaxValue, int.MaxValue } })
        {
            string path = Write("big.idx", IdxBytes(0x08, dims, Pixels));
            var e = Assert.Throws<InvalidDataException>(() => Idx.Read(path));
            Assert.Contains(path, e.Message);
            string gz = Write("big.idx.gz", Gzip(IdxBytes(0x08, dims, Pixels)));
            Assert.Throws<InvalidDataException>(() => Idx.Read(gz));
        }
    }

    [Fact]
    public void IdxRejectsBadMagicUnknownDTypeTrailingBytesAndCorruptGzip()
    {
        var bad = IdxBytes(0x08, [6], Pixels); bad[0] = 1;
        Assert.Contains("not an IDX file", Assert.Throws<InvalidDataException>(() => Idx.Read(Write("m.idx", bad))).Message);
        Assert.Contains("0x07", Assert.Throws<InvalidDataException>(() => Idx.Read(Write("d.idx", IdxBytes(0x07, [6], Pixels)))).Message);
        Assert.Contains("after the data", Assert.Throws<InvalidDataException>(() => Idx.Read(Write("x.idx", [.. IdxBytes(0x08, [5], Pixels[..5]), 9]))).Message);
        var gz = Gzip(IdxBytes(0x08, [2, 3], Pixels));
        for (int i = 12; i < gz.Length - 8; i++) gz[i] ^= 0x5A;
        string path = Write("c.idx.gz", gz);
        Assert.Contains(path, Assert.Throws<InvalidDataException>(() => Idx.Read(path)).Message);
        Assert.Throws<FileNotFoundException>(() => Idx.Read(Path.Combine(_dir, "missing.idx")));
    }

    // ------------------------------------------------------------------ CSV

    [Fact]
    public void CsvReadsFeaturesAndTheLabelColumn()
    {
        string path = Write("iris.csv", Encoding.UTF8.GetBytes("a,species,b\n1.5,0,2\n-3e-1,2,\"4\"\n\n"));
        var data = Csv.Read(path, "species");
        Assert.Equal(2, data.Count);
        Assert.Equal([2, 2], data.Inputs.Shape);
        Assert.Equal([1.5f, 2, -0.3f, 4], data.Inputs.ToArray());
        Assert.Equal([0f, 2], data.Targets.ToArray());
        Assert.Equal(0, data.Get(1).Target.Rank);

        string plain = Write("plain.csv", Encoding.UTF8.GetBytes("1,2,7\n3,4,8\n"));
        Assert.Equal([7f, 8], Csv.Read(plain, "-1", header: false).Targets.ToArray());
        Assert.Equal([2f, 7, 4, 8], Csv.Read(plain, "0", header: false).Inputs.ToArray());
        // with a header, a number that names no column is a column number
        Assert.Equal([0f, 2], Csv.Read(path, "1").Targets.ToArray());
        Assert.Equal([2f, 4], Csv.Read(path, "-1").Targets.ToArray());
    }

    [Theory]
    [InlineData("NaN")]
    [InlineData("Infinity")]
    [InlineData("1e40")]
    [InlineData("-1e39")]
    public void CsvRejectsValuesThatAreNotFiniteFloats(string cell)
    {
        string path = Write("inf.csv", Encoding.UTF8.GetBytes($"a,b,label\n1,2,0\n3,{cell},1\n"));
        var e = Assert.Throws<InvalidDataException>(() => Csv.Read(path, "label"));
        Assert.Contains($"row 2 (line 3), column 2 'b': '{cell}' is not a finite float", e.Message);
    }

    [Fact]
    public void CsvRejectsBadCellsAndRowsNamingRowAndColumn()
    {
        string bad = Write("bad.csv", Encoding.UTF8.GetBytes("x,y,label\n1,2,0\n3,oops,1\n"));
        var e = Assert.Throws<InvalidDataException>(() => Csv.Read(bad, "label"));
        Assert.Contains("row 2", e.Message);
        Assert.Contains("column 2 'y'", e.Message);
        Assert.Contains("oops", e.Message);

        string ragged = Write("ragged.csv", Encoding.UTF8.GetBytes("x,y,label\n1,2,0\n3,1\n"));
        e = Assert.Throws<InvalidDataException>(() => Csv.Read(ragged, "label"));
        Assert.Contains("row 2", e.Message);
        Assert.Contains("2 columns, expected 3", e.Message);

        var missing = Assert.Throws<ArgumentException>(() => Csv.Read(ragged, "target"));
        Assert.Contains("target", missing.Message);
        Assert.Throws<ArgumentException>(() => Csv.Read(ragged, "3", header: false));
    }

    [Fact]
    public void CsvRejectsAFileWithoutDataRows()
    {
        string headerOnly = Write("header.csv", Encoding.UTF8.GetBytes("a,b,label\n\n"));
        Assert.Equal($"{headerOnly}: the file has a header but no data rows", Assert.Throws<InvalidDataException>(() => Csv.Read(headerOnly, "label")).Message);
        string empty = Write("empty.csv", Encoding.UTF8.GetBytes("\n"));
        Assert.Equal($"{empty}: the file is empty", Assert.Throws<InvalidDataException>(() => Csv.Read(empty, "0", header: false)).Message);
    }

    // ------------------------------------------------------------------ NPY

    static byte[] NpyBytes(string descr, int[] shape, byte[] data, int major = 1, bool fortran = false)
    {
        string dims = shape.Length == 1 ? $"{shape[0]}," : string.Join(", ", shape);
        string header = $"{{'descr': '{descr}', 'fortran_order': {(fortran ? "True" : "False")}, 'shape': ({dims}), }}";
        int prefix = major == 1 ? 10 : 12;
        header = header.PadRight((prefix + header.Length + 1 + 63) / 64 * 64 - prefix - 1) + "\n";
        var bytes = new List<byte> { 0x93 };
        bytes.AddRange("NUMPY"u8.ToArray());
        bytes.Add((byte)major); bytes.Add(0);
        if (major == 1) bytes.AddRange(BitConverter.GetBytes((ushort)header.Length));
        else bytes.AddRange(BitConverter.GetBytes((uint)header.Length));
        bytes.AddRange(Encoding.ASCII.GetBytes(header));
        bytes.AddRange(data);
        return bytes.ToArray();
    }

    static byte[] Bytes<T>(params T[] values) where T : unmanaged =>
        System.Runtime.InteropServices.MemoryMarshal.AsBytes(values.AsSpan()).ToArray();

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public void NpyReadsEachDTypeAndVersion(int major)
    {
        var cases = new (string Descr, byte[] Data)[]
        {
            ("<f4", Bytes(1.5f, -2f, 0f, 3.25f, 1e-3f, 7f)),
            ("<f8", Bytes(1.5, -2.0, 0.0, 3.25, 1e-3, 7.0)),
            ("|u1", [1, 2, 0, 3, 255, 7]),
            ("<i8", Bytes(1L, -2L, 0L, 3L, 1_000_000L, 7L)),
        };
        float[][] expected = [[1.5f, -2, 0, 3.25f, 1e-3f, 7], [1.5f, -2, 0, 3.25f, 1e-3f, 7], [1, 2, 0, 3, 255, 7], [1, -2, 0, 3, 1_000_000, 7]];
        for (int c = 0; c < cases.Length; c++)
        {
            var t = Npy.Read(Write($"a{c}.npy", NpyBytes(cases[c].Descr, [2, 3], cases[c].Data, major)));
            Assert.Equal([2, 3], t.Shape);
            Assert.Equal(expected[c], t.ToArray());
        }
        Assert.Equal([4], Npy.Read(Write("v.npy", NpyBytes("<f4", [4], Bytes(1f, 2f, 3f, 4f), major))).Shape);
        Assert.Equal(0, Npy.Read(Write("s.npy", NpyBytes("<f8", [], Bytes(2.5), major))).Rank);
    }

    [Fact]
    public void NpyRejectsFloat64BeyondFloat32RangeButKeepsNaNAndInfinities()
    {
        Assert.Equal([float.NaN, float.PositiveInfinity, float.NegativeInfinity, float.MaxValue],
            Npy.Read(Write("k.npy", NpyBytes("<f8", [4], Bytes(double.NaN, double.PositiveInfinity, double.NegativeInfinity, (double)float.MaxValue)))).ToArray());
        string path = Write("o.npy", NpyBytes("<f8", [2, 2], Bytes(1.0, 2.0, 1e39, 4.0)));
        Assert.Equal($"{path}: element 2 of the '<f8' data is 1E+39, beyond float32's range (±3.4e38)", Assert.Throws<InvalidDataException>(() => Npy.Read(path)).Message);
    }

    [Theory]
    // NumPy's bytes of np.array([...], dtype) for each byte order, written out by hand
    [InlineData(">f4", "3FC00000C0000000", new[] { 1.5f, -2 })]
    [InlineData(">f8", "3FF8000000000000C000000000000000", new[] { 1.5f, -2 })]
    [InlineData(">f2", "3E00C000", new[] { 1.5f, -2 })]
    [InlineData("<f2", "003E00C0", new[] { 1.5f, -2 })]
    [InlineData("<f2", "007C00FE", new[] { float.PositiveInfinity, float.NaN })]
    [InlineData(">i8", "0000000000000001FFFFFFFFFFFFFED4", new[] { 1f, -300 })]
    [InlineData(">i4", "00000001FFFFFED4", new[] { 1f, -300 })]
    [InlineData(">i2", "0001FED4", new[] { 1f, -300 })]
    [InlineData(">u2", "0001FFFF", new[] { 1f, 65535 })]
    [InlineData("<u2", "0100FFFF", new[] { 1f, 65535 })]
    [InlineData(">u4", "00000001FFFFFFFF", new[] { 1f, 4294967295f })]
    [InlineData("<u4", "01000000FFFFFFFF", new[] { 1f, 4294967295f })]
    [InlineData(">u8", "0000000000000001FFFFFFFFFFFFFFFF", new[] { 1f, 18446744073709551615f })]
    [InlineData("<u8", "0100000000000000FFFFFFFFFFFFFFFF", new[] { 1f, 18446744073709551615f })]
    [InlineData(">u1", "01FF", new[] { 1f, 255 })]
    [InlineData("|i1", "01FF", new[] { 1f, -1 })]
    public void NpyReadsBigEndianFloat16AndUnsignedDTypes(string descr, string hex, float[] expected)
    {
        var t = Npy.Read(Write("e.npy", NpyBytes(descr, [2], Convert.FromHexString(hex))));
        Assert.Equal([2], t.Shape);
        Assert.Equal(expected, t.ToArray());
    }

    [Fact]
    public void NpyReadsFortranOrderIntoCOrderWithTheSameShape()
    {
        // a = [[1, 2, 3], [4, 5, 6]] stored column by column
        var t = Npy.Read(Write("f.npy", NpyBytes("<f4", [2, 3], Bytes(1f, 4, 2, 5, 3, 6), fortran: true)));
        Assert.Equal([2, 3], t.Shape);
        Assert.Equal([1f, 2, 3, 4, 5, 6], t.ToArray());
        t = Npy.Read(Write("fb.npy", NpyBytes(">i2", [2, 3], Convert.FromHexString("000100040002000500030006"), fortran: true)));
        Assert.Equal([1f, 2, 3, 4, 5, 6], t.ToArray());

        // a[i, j, k] = 12i + 4j + k, shape (2, 3, 4): the first axis turns fastest in the file
        var column = new List<double>();
        for (int k = 0; k < 4; k++)
            for (int j = 0; j < 3; j++)
                for (int i = 0; i < 2; i++) column.Add(12 * i + 4 * j + k);
        t = Npy.Read(Write("f3.npy", NpyBytes("<f8", [2, 3, 4], Bytes(column.ToArray()), fortran: true)));
        Assert.Equal([2, 3, 4], t.Shape);
        Assert.Equal(Enumerable.Range(0, 24).Select(v => (float)v), t.ToArray());

        Assert.Equal([7f, 8], Npy.Read(Write("f1.npy", NpyBytes("<f4", [2], Bytes(7f, 8f), fortran: true))).ToArray());
        Assert.Equal([0, 3], Npy.Read(Write("f0.npy", NpyBytes("<f4", [0, 3], [], fortran: true))).Shape);
    }

    [Fact]
    public void NpyRejectsUnknownDTypes()
    {
        Assert.Contains("unsupported .npy dtype '<c8'", Assert.Throws<InvalidDataException>(() => Npy.Read(Write("c.npy", NpyBytes("<c8", [1], new byte[8])))).Message);
        Assert.Contains("unsupported .npy dtype '>c16'", Assert.Throws<InvalidDataException>(() => Npy.Read(Write("d.npy", NpyBytes(">c16", [1], new byte[16])))).Message);
        Assert.Contains("unsupported .npy dtype '<U3'", Assert.Throws<InvalidDataException>(() => Npy.Read(Write("u.npy", NpyBytes("<U3", [1], new byte[12])))).Message);
        Assert.Contains("not a .npy file", Assert.Throws<InvalidDataException>(() => Npy.Read(Write("n.npy", new byte[64]))).Message);
    }

    [Fact]
    public void NpyRejectsTruncatedAndOversizedFilesNamingTheFile()
    {
        var ok = NpyBytes("<f4", [2, 3], new byte[24]);
        foreach (var (name, data) in new[]
        {
            ("t.npy", ok[..^4]),
            ("h.npy", ok[..40]),
            ("big.npy", NpyBytes("<f8", [1_000_000, 1_000_000], new byte[24])),
            ("huge.npy", NpyBytes("<f4", [int.MaxValue, int.MaxValue], new byte[24])),
        })
        {
            string path = Write(name, data);
            var e = Assert.Throws<InvalidDataException>(() => Npy.Read(path));
            Assert.Contains(path, e.Message);
        }
        var header = ok.ToArray();
        BinaryPrimitives.WriteUInt32LittleEndian(header.AsSpan(8), uint.MaxValue);  // v1 reads 2 bytes: 65535 > file
        Assert.Contains("truncated", Assert.Throws<InvalidDataException>(() => Npy.Read(Write("l.npy", header))).Message);
    }
}
