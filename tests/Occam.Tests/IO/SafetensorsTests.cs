using System.Buffers.Binary;
using System.Text;
using System.Text.Json;
using Occam.IO;

namespace Occam.Tests.IO;

public sealed class SafetensorsTests : IDisposable
{
    readonly string _dir = Directory.CreateTempSubdirectory("occam-io-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    string PathOf(string name) => Path.Combine(_dir, name);

    static string Fixture(string name) => Path.Combine(AppContext.BaseDirectory, "fixtures", name);

    [Fact]
    public void RoundTripKeepsValuesShapesAndMetadata()
    {
        var tensors = new Dictionary<string, Tensor>
        {
            ["fc.weight"] = Tensor.RandN([3, 5], new Generator(1)),
            ["fc.bias"] = Tensor.FromArray([float.NaN, -0f, float.PositiveInfinity, float.Epsilon, -1e30f], 5),
            ["scalar"] = Tensor.Scalar(42.5f),
            ["empty"] = Tensor.Zeros(0, 4),
            ["cube"] = Tensor.Arange(24).Reshape(2, 3, 4),
        };
        var metadata = new Dictionary<string, string> { ["epoch"] = "3", ["note"] = "ünïcode + <tag> \"quoted\"\n" };
        string path = PathOf("m.safetensors");
        Safetensors.Save(path, tensors, metadata);

        var (loaded, meta) = Safetensors.Load(path);
        Assert.Equal(tensors.Keys.Order(), loaded.Keys.Order());
        foreach (var (name, t) in tensors)
        {
            Assert.Equal(t.Shape, loaded[name].Shape);
            Assert.Equal(t.ToArray().Select(BitConverter.SingleToInt32Bits), loaded[name].ToArray().Select(BitConverter.SingleToInt32Bits));
        }
        Assert.Equal(metadata, meta);
        Assert.Equal(0, (new FileInfo(path).Length - 8 - BinaryPrimitives.ReadInt64LittleEndian(File.ReadAllBytes(path))) % 4);
    }

    [Fact]
    public void NoMetadataAndNoTensors()
    {
        string path = PathOf("empty.safetensors");
        Safetensors.Save(path, new Dictionary<string, Tensor>());
        Assert.Equal([8, 0, 0, 0, 0, 0, 0, 0, (byte)'{', (byte)'}', 32, 32, 32, 32, 32, 32], File.ReadAllBytes(path));
        var (tensors, metadata) = Safetensors.Load(path);
        Assert.Empty(tensors);
        Assert.Empty(metadata);
    }

    [Fact]
    public void ByteLayoutMatchesTheFormat()
    {
        string path = PathOf("tiny.safetensors");
        Safetensors.Save(path, new Dictionary<string, Tensor> { ["b"] = Tensor.FromArray([1f, 2f], 2), ["a"] = Tensor.Scalar(3f) },
            new Dictionary<string, string> { ["k"] = "v" });

        // 132 bytes of JSON, padded with 4 spaces to 136; tensors sorted by name, contiguous, little-endian.
        const string json = """{"__metadata__":{"k":"v"},"a":{"dtype":"F32","shape":[],"data_offsets":[0,4]},"b":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}}""";
        byte[] expected =
        [
            136, 0, 0, 0, 0, 0, 0, 0,
            .. Encoding.UTF8.GetBytes(json), 32, 32, 32, 32,
            0x00, 0x00, 0x40, 0x40, // 3f
            0x00, 0x00, 0x80, 0x3F, // 1f
            0x00, 0x00, 0x00, 0x40, // 2f
        ];
        Assert.Equal(expected, File.ReadAllBytes(path));
    }

    [Fact]
    public void ReadsTheDtypesPyTorchWrites()
    {
        var (tensors, metadata) = Safetensors.Load(Fixture("torch_dtypes.safetensors"));
        Assert.Empty(metadata);
        var expected = JsonDocument.Parse(File.ReadAllText(Fixture("torch_dtypes_expected.json"))).RootElement;
        Assert.Equal(expected.EnumerateObject().Select(p => p.Name).Order(), tensors.Keys.Order());
        foreach (var p in expected.EnumerateObject())
        {
            var t = tensors[p.Name];
            Assert.Equal(p.Value.GetProperty("shape").EnumerateArray().Select(d => d.GetInt32()), t.Shape);
            Assert.Equal(p.Value.GetProperty("values").EnumerateArray().Select(v => v.GetSingle()), t.ToArray());
        }
        Assert.Empty(tensors["num_batches_tracked"].Shape);
        Assert.Equal(7f, tensors["num_batches_tracked"].Item());
    }

    // ------------------------------------------------------------ corrupt files

    /// <summary>A file with the given header text (unpadded) and data bytes; the length field says <paramref name="claimedLength"/> when given.</summary>
    string Raw(string header, int dataBytes, ulong? claimedLength = null)
    {
        var h = Encoding.UTF8.GetBytes(header);
        var bytes = new byte[8 + h.Length + dataBytes];
        BinaryPrimitives.WriteUInt64LittleEndian(bytes, claimedLength ?? (ulong)h.Length);
        h.CopyTo(bytes, 8);
        string path = PathOf("bad.safetensors");
        File.WriteAllBytes(path, bytes);
        return path;
    }

    static void Rejects(string path, params string[] phrases)
    {
        var e = Assert.Throws<InvalidDataException>(() => Safetensors.Load(path));
        Assert.StartsWith($"Safetensors: '{path}'", e.Message);
        foreach (var phrase in phrases) Assert.Contains(phrase, e.Message);
    }

    const string W = "\"w\":{\"dtype\":\"F32\",\"shape\":[2,3],\"data_offsets\":[0,24]}";

    [Fact]
    public void AnF64ValueBeyondFloatRangeIsAnErrorNotAnInfinity()
    {
        string path = Raw("{\"d\":{\"dtype\":\"F64\",\"shape\":[2],\"data_offsets\":[0,16]}}", 16);
        var bytes = File.ReadAllBytes(path);
        int start = bytes.Length - 16;
        BinaryPrimitives.WriteDoubleLittleEndian(bytes.AsSpan(start), 1.5);
        BinaryPrimitives.WriteDoubleLittleEndian(bytes.AsSpan(start + 8), 1e300);
        File.WriteAllBytes(path, bytes);
        Rejects(path, "tensor 'd' (F64) holds 1E+300, beyond float32's range");
        BinaryPrimitives.WriteDoubleLittleEndian(bytes.AsSpan(start + 8), double.PositiveInfinity); // an infinity stays one
        File.WriteAllBytes(path, bytes);
        Assert.Equal([1.5f, float.PositiveInfinity], Safetensors.Load(path).Tensors["d"].ToArray());
    }

    [Fact]
    public void RejectsTruncatedData()
    {
        string path = PathOf("t.safetensors");
        Safetensors.Save(path, new Dictionary<string, Tensor> { ["fc.weight"] = Tensor.Zeros(16, 64) });
        using (var f = File.OpenWrite(path)) f.SetLength(f.Length - 3072);
        Rejects(path, "tensor 'fc.weight' claims bytes [0, 4096) but the data section holds 1024 bytes");
    }

    [Fact]
    public void RejectsAFileShorterThanTheLengthField()
    {
        string path = PathOf("short.safetensors");
        File.WriteAllBytes(path, [8, 0, 0, 0, 0]);
        Rejects(path, "the file holds 5 bytes, fewer than the 8");
    }

    [Fact]
    public void RejectsAHeaderLongerThanTheFile() => Rejects(Raw("{" + W + "}", 24, claimedLength: 1000), "header length is 1000 bytes but only");

    [Fact]
    public void RejectsAHeaderOverTheLimitBeforeReadingIt()
    {
        string path = PathOf("huge.safetensors");
        using (var f = File.Create(path))
        {
            var length = new byte[8];
            BinaryPrimitives.WriteUInt64LittleEndian(length, Safetensors.MaxHeaderBytes + 1);
            f.Write(length);
            f.SetLength(8 + Safetensors.MaxHeaderBytes + 8); // sparse: nothing is written
        }
        Rejects(path, "more than the limit of 100000000");
    }

    [Fact]
    public void RejectsOffsetsOutOfRange() => Rejects(Raw("{" + W + "}", 20), "tensor 'w' claims bytes [0, 24) but the data section holds 20 bytes");

    [Fact]
    public void RejectsOffsetsThatEndBeforeTheyBegin() =>
        Rejects(Raw("{\"w\":{\"dtype\":\"F32\",\"shape\":[0],\"data_offsets\":[8,4]}}", 8), "tensor 'w'", "end before they begin");

    [Fact]
    public void RejectsAWrongByteCount() =>
        Rejects(Raw("{\"w\":{\"dtype\":\"F32\",\"shape\":[2,3],\"data_offsets\":[0,20]}}", 20),
            "tensor 'w' of dtype F32 and shape [2, 3] needs 24 bytes but claims bytes [0, 20) (20 bytes)");

    [Fact]
    public void RejectsOverlappingTensors() =>
        Rejects(Raw("{" + W + ",\"v\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[16,24]}}", 24), "'w'", "'v'", "overlap");

    [Fact]
    public void RejectsDataThatNoTensorCovers()
    {
        Rejects(Raw("{" + W + "}", 32), "bytes [24, 32) of the data section belong to no tensor");
        Rejects(Raw("{\"w\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8]}}", 8), "bytes [0, 4)", "before 'w'");
    }

    [Fact]
    public void RejectsBadJson()
    {
        Rejects(Raw("{\"w\":{\"dtype\":\"F32\",", 0), "not valid JSON");
        Rejects(Raw("[1, 2]", 0), "not a JSON object");
        Rejects(Raw("{\"w\":{\"dtype\":\"F32\",\"shape\":[-1],\"data_offsets\":[0,0]}}", 0), "tensor 'w'", "shape must hold non-negative integers, got -1");
        Rejects(Raw("{\"w\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0]}}", 4), "tensor 'w'", "data_offsets must be [begin, end]");
        Rejects(Raw("{\"w\":{\"shape\":[1],\"data_offsets\":[0,4]}}", 4), "tensor 'w' has no dtype");
        Rejects(Raw("{\"__metadata__\":{\"epoch\":3}}", 0), "metadata 'epoch' must be a string");
        Rejects(Raw("{" + W + "," + W + "}", 24), "names 'w' twice");
    }

    [Fact]
    public void RejectsAHeaderThatIsNotUtf8()
    {
        string path = Raw("{\"w\":1}", 0);
        var bytes = File.ReadAllBytes(path);
        bytes[10] = 0xFF; // inside the name
        File.WriteAllBytes(path, bytes);
        Rejects(path, "not valid UTF-8");
    }

    [Fact]
    public void RejectsAnUnknownDtype() =>
        Rejects(Raw("{\"z\":{\"dtype\":\"C64\",\"shape\":[1],\"data_offsets\":[0,8]}}", 8), "tensor 'z' has dtype 'C64', which Occam does not read");

    // ------------------------------------------------------------ atomic writes

    [Fact]
    public void AFailedSaveLeavesTheOldFileIntact()
    {
        string path = PathOf("keep.safetensors");
        Safetensors.Save(path, new Dictionary<string, Tensor> { ["a"] = Tensor.Ones(3) });
        var before = File.ReadAllBytes(path);

        var x = Tensor.Ones(4);
        x.RequiresGrad = true;
        var y = x * 2f;
        (y * y).Sum().Backward(); // releases the intermediate y: reading it throws mid-write
        var e = Assert.Throws<InvalidOperationException>(() =>
            Safetensors.Save(path, new Dictionary<string, Tensor> { ["a"] = Tensor.Zeros(1000), ["b"] = y }));
        Assert.Contains("released", e.Message);

        Assert.Equal(before, File.ReadAllBytes(path));
        Assert.Equal([path], Directory.GetFiles(_dir));
    }

    [Fact]
    public void AtomicFileDeletesItsTemporaryFileOnFailure()
    {
        string path = PathOf("data.bin");
        AtomicFile.Write(path, s => s.Write([1, 2, 3]));
        Assert.Equal([1, 2, 3], File.ReadAllBytes(path));

        Assert.Throws<IOException>(() => AtomicFile.Write(path, s =>
        {
            s.Write(new byte[100_000]);
            throw new IOException("disk full");
        }));
        Assert.Equal([1, 2, 3], File.ReadAllBytes(path));
        Assert.Equal([path], Directory.GetFiles(_dir));

        AtomicFile.Write(path, s => s.Write([4]));
        Assert.Equal([4], File.ReadAllBytes(path));
        Assert.Equal([path], Directory.GetFiles(_dir));
    }

    [Fact]
    public void SaveNamesItselfAndTheBadDestination()
    {
        var tensors = new Dictionary<string, Tensor> { ["w"] = Tensor.Ones(2) };
        string missing = Path.Combine(_dir, "nope");
        var e = Assert.Throws<DirectoryNotFoundException>(() => Safetensors.Save(Path.Combine(missing, "x.safetensors"), tensors));
        Assert.Equal($"Safetensors.Save: the directory '{missing}' of '{Path.Combine(missing, "x.safetensors")}' does not exist", e.Message);
        Assert.Contains("Safetensors.Save: '" + _dir + "' is a directory", Assert.Throws<ArgumentException>(() => Safetensors.Save(_dir, tensors)).Message);
        Assert.Contains("names a directory, not a file", Assert.Throws<ArgumentException>(() => Safetensors.Save(_dir + "/", tensors)).Message);
        Assert.Empty(Directory.GetFileSystemEntries(_dir));
    }

    [Fact]
    public void AtomicFileReplacesWhatALinkPointsToAndKeepsPermissions()
    {
        if (OperatingSystem.IsWindows()) return;
        string real = PathOf("real.bin"), link = PathOf("link.bin");
        File.WriteAllBytes(real, [1]);
        File.SetUnixFileMode(real, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        File.CreateSymbolicLink(link, real);
        AtomicFile.Write(link, s => s.Write([2, 3]));
        Assert.NotNull(new FileInfo(link).LinkTarget);
        Assert.Equal([2, 3], File.ReadAllBytes(real));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(real));
        Assert.Equal(2, Directory.GetFileSystemEntries(_dir).Length);
    }

    [Fact]
    public void AtomicFileRefusesAReadOnlyFile()
    {
        if (OperatingSystem.IsWindows()) return;
        string path = PathOf("frozen.bin"), link = PathOf("link.bin");
        File.WriteAllBytes(path, [1, 2]);
        File.CreateSymbolicLink(link, path);
        // the ReadOnly attribute, and a mode without the owner's write bit (which root, running the tests, may not see as ReadOnly)
        foreach (bool attribute in new[] { true, false })
        {
            if (attribute) File.SetAttributes(path, FileAttributes.ReadOnly);
            else File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.GroupWrite);
            var e = Assert.Throws<UnauthorizedAccessException>(() => AtomicFile.Write(path, s => s.Write([3])));
            Assert.Equal($"AtomicFile.Write: cannot write '{path}': it is read-only", e.Message);
            e = Assert.Throws<UnauthorizedAccessException>(() => Safetensors.Save(link, new Dictionary<string, Tensor> { ["w"] = Tensor.Ones(1) }));
            Assert.Contains($"Safetensors.Save: cannot write '{link}': it is read-only", e.Message);
            Assert.Equal([1, 2], File.ReadAllBytes(path));
            Assert.Equal(2, Directory.GetFileSystemEntries(_dir).Length);
            File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        }
        AtomicFile.Write(path, s => s.Write([4]));
        Assert.Equal([4], File.ReadAllBytes(path));
    }

    [Theory]
    [InlineData("a", 240)]   // the old ".{name}.{32 hex}.tmp" was too long from 217 bytes
    [InlineData("a", 255)]
    [InlineData("€", 85)]    // 255 bytes of UTF-8
    [InlineData("😀", 63)]   // 252 bytes, 126 UTF-16 units: pairs are never split
    public void AtomicFileWritesTheLongestNamesTheFileSystemTakes(string unit, int count)
    {
        string path = PathOf(string.Concat(Enumerable.Repeat(unit, count)));
        AtomicFile.Write(path, s => s.Write([1]));
        AtomicFile.Write(path, s => s.Write([2, 3]));
        Assert.Equal([2, 3], File.ReadAllBytes(path));
        Assert.Equal([path], Directory.GetFileSystemEntries(_dir));
    }

    [Fact]
    public void AtomicFileNamesTheTargetWhenItCannotCreateTheTemporaryFile()
    {
        string path = PathOf(new string('n', 300));   // more than any file system's 255
        var e = Assert.ThrowsAny<IOException>(() => AtomicFile.Write(path, s => s.Write([1]), "Checkpoint.Save"));
        Assert.StartsWith($"Checkpoint.Save: cannot write '{path}': creating the temporary file", e.Message);
        Assert.Empty(Directory.GetFileSystemEntries(_dir));
    }

    [Fact]
    public void SaveRejectsUnpairedSurrogatesThatUtf8WouldTurnIntoOneName()
    {
        string path = PathOf("s.safetensors");
        // "w\uD800" and "w\uDC00" would both be written as "w\uFFFD": two tensors under one name
        var tensors = new Dictionary<string, Tensor> { ["w\uD800"] = Tensor.Ones(1), ["w\uDC00"] = Tensor.Zeros(1) };
        var e = Assert.Throws<ArgumentException>(() => Safetensors.Save(path, tensors));
        Assert.Equal(@"Safetensors.Save: tensor name 'w\uD800' has an unpaired surrogate \uD800 at index 1, which UTF-8 cannot encode", e.Message);

        var ok = new Dictionary<string, Tensor> { ["w😀"] = Tensor.Ones(1) };
        e = Assert.Throws<ArgumentException>(() => Safetensors.Save(path, ok, new Dictionary<string, string> { ["k\uDE00😀"] = "v" }));
        Assert.Contains(@"metadata key 'k\uDE00😀' has an unpaired surrogate \uDE00 at index 1", e.Message);
        e = Assert.Throws<ArgumentException>(() => Safetensors.Save(path, ok, new Dictionary<string, string> { ["k"] = "😀\uD83D" }));
        Assert.Contains(@"the value of metadata 'k' '😀\uD83D' has an unpaired surrogate \uD83D at index 2", e.Message);
        Assert.Empty(Directory.GetFileSystemEntries(_dir));

        Safetensors.Save(path, ok, new Dictionary<string, string> { ["k😀"] = "😀" });   // pairs are well-formed
        var (loaded, metadata) = Safetensors.Load(path);
        Assert.Equal(["w😀"], loaded.Keys);
        Assert.Equal("😀", metadata["k😀"]);
    }

    [Fact]
    public void SaveRejectsTheReservedName() =>
        Assert.Throws<ArgumentException>(() => Safetensors.Save(PathOf("x.safetensors"), new Dictionary<string, Tensor> { ["__metadata__"] = Tensor.Ones(1) }));
}
