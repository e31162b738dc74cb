using System.Buffers;
using System.Buffers.Binary;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using Occam.Data.Readers;

namespace Occam.IO;

/// <summary>
/// The safetensors format (https://github.com/huggingface/safetensors), as its reference implementation
/// writes and checks it: an 8-byte little-endian u64 header length N, N bytes of UTF-8 JSON
/// <c>{"__metadata__": {"k": "v"}, "name": {"dtype": "F32", "shape": [..], "data_offsets": [begin, end]}, ...}</c>
/// padded with spaces to a multiple of 8, then the raw little-endian data, every tensor's bytes contiguous,
/// in header order, covering the data section exactly. Occam writes F32; it reads F32, F64, F16, BF16, I64,
/// I32, I16, I8, U8 and BOOL, converting to float32 (PyTorch state dicts hold I64 <c>num_batches_tracked</c>); an
/// F64 value beyond float32's range is an error, not an infinity.
/// A file is validated completely before any tensor is allocated, so a load either returns everything or throws.
/// </summary>
public static class Safetensors
{
    /// <summary>The largest header the reference reader accepts (100 MB).</summary>
    public const long MaxHeaderBytes = 100_000_000;

    const string MetadataKey = "__metadata__";
    const int ChunkBytes = 1 << 20;

    /// <summary>Writes <paramref name="tensors"/> (as F32, sorted by name as the reference writer sorts tensors of
    /// one dtype) and <paramref name="metadata"/> to <paramref name="path"/>, atomically (see <see cref="AtomicFile"/>).</summary>
    public static void Save(string path, IReadOnlyDictionary<string, Tensor> tensors, IReadOnlyDictionary<string, string>? metadata = null)
    {
        ArgumentNullException.ThrowIfNull(tensors);
        foreach (var (name, tensor) in tensors)
        {
            if (string.IsNullOrEmpty(name) || name == MetadataKey)
                throw new ArgumentException($"Safetensors.Save: invalid tensor name '{name}' (non-empty, not '{MetadataKey}')");
            CheckUtf16(name, "tensor name");
            if (tensor is null) throw new ArgumentException($"Safetensors.Save: tensor '{name}' is null");
        }
        if (metadata != null)
            foreach (var (key, value) in metadata)
            {
                CheckUtf16(key, "metadata key");
                if (value is null) throw new ArgumentException($"Safetensors.Save: metadata '{key}' is null");
                CheckUtf16(value, $"the value of metadata '{key}'");
            }
        var names = tensors.Keys.Order(StringComparer.Ordinal).ToArray();
        byte[] header = Header(names, tensors, metadata);
        AtomicFile.Write(path, stream =>
        {
            Span<byte> length = stackalloc byte[8];
            BinaryPrimitives.WriteUInt64LittleEndian(length, (ulong)header.Length);
            stream.Write(length);
            stream.Write(header);
            foreach (var name in names) WriteData(stream, tensors[name].Span);
        }, "Safetensors.Save");
    }

    /// <summary>Reads every tensor (converted to float32) and the metadata of <paramref name="path"/>.
    /// Throws <see cref="InvalidDataException"/> naming the file and the offending tensor when the file breaks the format.</summary>
    public static (Dictionary<string, Tensor> Tensors, Dictionary<string, string> Metadata) Load(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 1 << 16);
        long fileLength = stream.Length;
        if (fileLength < 8) throw Bad(path, $"the file holds {fileLength} bytes, fewer than the 8 of the header length");
        Span<byte> lengthBytes = stackalloc byte[8];
        stream.ReadExactly(lengthBytes);
        ulong n = BinaryPrimitives.ReadUInt64LittleEndian(lengthBytes);
        if (n > (ulong)(fileLength - 8)) throw Bad(path, $"the header length is {n} bytes but only {fileLength - 8} bytes follow it");
        if (n > MaxHeaderBytes) throw Bad(path, $"the header length is {n} bytes, more than the limit of {MaxHeaderBytes}");
        var headerBytes = new byte[n];
        stream.ReadExactly(headerBytes);
        long dataStart = 8 + (long)n, dataLength = fileLength - dataStart;
        var (entries, metadata) = ParseHeader(path, headerBytes, dataLength);

        var tensors = new Dictionary<string, Tensor>(entries.Count);
        var buffer = ArrayPool<byte>.Shared.Rent(ChunkBytes);
        try
        {
            foreach (var e in entries)
            {
                var data = new float[e.Elements];
                stream.Position = dataStart + e.Begin;
                int perChunk = ChunkBytes / e.Type.Size;
                for (int done = 0; done < data.Length; done += perChunk)
                {
                    int count = Math.Min(perChunk, data.Length - done);
                    var bytes = buffer.AsSpan(0, count * e.Type.Size);
                    stream.ReadExactly(bytes);
                    try { e.Type.Convert(bytes, data.AsSpan(done, count)); }
                    catch (OverflowException o) { throw Bad(path, $"tensor '{e.Name}' ({e.Type.Name}) holds {o.Message}"); }
                }
                tensors[e.Name] = new Tensor(data, e.Shape);
            }
        }
        finally { ArrayPool<byte>.Shared.Return(buffer); }
        return (tensors, metadata);
    }

    // ------------------------------------------------------------ writing

    static byte[] Header(string[] names, IReadOnlyDictionary<string, Tensor> tensors, IReadOnlyDictionary<string, string>? metadata)
    {
        var output = new ArrayBufferWriter<byte>();
        // The relaxed encoder leaves '+', '<', non-ASCII, ... as they are, as the reference (serde_json) does.
        using (var json = new Utf8JsonWriter(output, new JsonWriterOptions { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
        {
            json.WriteStartObject();
            if (metadata != null)
            {
                json.WriteStartObject(MetadataKey);
                foreach (var (key, value) in metadata.OrderBy(m => m.Key, StringComparer.Ordinal)) json.WriteString(key, value);
                json.WriteEndObject();
            }
            long offset = 0;
            foreach (var name in names)
            {
                var t = tensors[name];
                json.WriteStartObject(name);
                json.WriteString("dtype", "F32");
                json.WriteStartArray("shape");
                foreach (int d in t.ShapeRef) json.WriteNumberValue(d);
                json.WriteEndArray();
                json.WriteStartArray("data_offsets");
                json.WriteNumberValue(offset);
                offset += (long)t.Size * sizeof(float);
                json.WriteNumberValue(offset);
                json.WriteEndArray();
                json.WriteEndObject();
            }
            json.WriteEndObject();
        }
        int padding = (8 - output.WrittenCount % 8) % 8;
        output.GetSpan(padding)[..padding].Fill((byte)' ');
        output.Advance(padding);
        return output.WrittenSpan.ToArray();
    }

    /// <summary>Throws unless <paramref name="text"/> is well-formed UTF-16: the UTF-8 header would hold U+FFFD for an
    /// unpaired surrogate, so two names could become one and the file would fail to load.</summary>
    static void CheckUtf16(string text, string what)
    {
        for (int i = 0; i < text.Length;)
        {
            if (Rune.DecodeFromUtf16(text.AsSpan(i), out _, out int used) != OperationStatus.Done)
                throw new ArgumentException($"Safetensors.Save: {what} '{EscapeSurrogates(text)}' has an unpaired surrogate \\u{(int)text[i]:X4} at index {i}, which UTF-8 cannot encode");
            i += used;
        }
    }

    // Unpaired surrogates as \uXXXX, so the message shows what the string holds.
    static string EscapeSurrogates(string text)
    {
        var escaped = new StringBuilder(text.Length);
        for (int i = 0; i < text.Length; i++)
        {
            if (char.IsHighSurrogate(text[i]) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1])) escaped.Append(text, i++, 2);
            else if (char.IsSurrogate(text[i])) escaped.Append($"\\u{(int)text[i]:X4}");
            else escaped.Append(text[i]);
        }
        return escaped.ToString();
    }

    static void WriteData(Stream stream, ReadOnlySpan<float> data)
    {
        const int perChunk = ChunkBytes / sizeof(float);
        if (BitConverter.IsLittleEndian)
        {
            for (int i = 0; i < data.Length; i += perChunk)
                stream.Write(MemoryMarshal.AsBytes(data.Slice(i, Math.Min(perChunk, data.Length - i))));
            return;
        }
        var buffer = new byte[ChunkBytes];
        for (int i = 0; i < data.Length; i += perChunk)
        {
            int count = Math.Min(perChunk, data.Length - i);
            for (int j = 0; j < count; j++) BinaryPrimitives.WriteSingleLittleEndian(buffer.AsSpan(j * 4), data[i + j]);
            stream.Write(buffer, 0, count * 4);
        }
    }

    // ------------------------------------------------------------ reading

    /// <summary>A dtype Occam reads: its name in the header, its size in bytes, and its conversion to float32.</summary>
    sealed record Dtype(string Name, int Size, Dtype.Converter Convert)
    {
        public delegate void Converter(ReadOnlySpan<byte> source, Span<float> destination);
    }

    static readonly Dtype[] Dtypes =
    [
        new("F32", 4, (s, d) =>
        {
            if (BitConverter.IsLittleEndian) MemoryMarshal.Cast<byte, float>(s).CopyTo(d);
            else for (int i = 0; i < d.Length; i++) d[i] = BinaryPrimitives.ReadSingleLittleEndian(s[(4 * i)..]);
        }),
        new("F64", 8, (s, d) => { for (int i = 0; i < d.Length; i++) d[i] = StreamData.ToFloat32(BinaryPrimitives.ReadDoubleLittleEndian(s[(8 * i)..])); }),
        new("F16", 2, (s, d) => { for (int i = 0; i < d.Length; i++) d[i] = (float)BinaryPrimitives.ReadHalfLittleEndian(s[(2 * i)..]); }),
        // bfloat16 is the upper half of a float32's bits.
        new("BF16", 2, (s, d) => { for (int i = 0; i < d.Length; i++) d[i] = BitConverter.Int32BitsToSingle(BinaryPrimitives.ReadUInt16LittleEndian(s[(2 * i)..]) << 16); }),
        new("I64", 8, (s, d) => { for (int i = 0; i < d.Length; i++) d[i] = BinaryPrimitives.ReadInt64LittleEndian(s[(8 * i)..]); }),
        new("I32", 4, (s, d) => { for (int i = 0; i < d.Length; i++) d[i] = BinaryPrimitives.ReadInt32LittleEndian(s[(4 * i)..]); }),
        new("I16", 2, (s, d) => { for (int i = 0; i < d.Length; i++) d[i] = BinaryPrimitives.ReadInt16LittleEndian(s[(2 * i)..]); }),
        new("I8", 1, (s, d) => { for (int i = 0; i < d.Length; i++) d[i] = (sbyte)s[i]; }),
        new("U8", 1, (s, d) => { for (int i = 0; i < d.Length; i++) d[i] = s[i]; }),
        new("BOOL", 1, (s, d) => { for (int i = 0; i < d.Length; i++) d[i] = s[i] != 0 ? 1f : 0f; }),
    ];

    sealed record Entry(string Name, Dtype Type, int[] Shape, int Elements, long Begin, long End);

    /// <summary>Parses and checks the header against the data section's length: every rule, before any allocation.
    /// Returns the entries in data order.</summary>
    static (List<Entry> Entries, Dictionary<string, string> Metadata) ParseHeader(string path, byte[] header, long dataLength)
    {
        if (header.Length == 0 || header[0] != (byte)'{') throw Bad(path, "the header is not a JSON object (it must start with '{')");
        if (!System.Text.Unicode.Utf8.IsValid(header)) throw Bad(path, "the header is not valid UTF-8");
        JsonDocument document;
        try { document = JsonDocument.Parse(header); }
        catch (JsonException e) { throw Bad(path, $"the header is not valid JSON: {e.Message}"); }
        using var _ = document;
        var root = document.RootElement;
        if (root.ValueKind != JsonValueKind.Object) throw Bad(path, "the header is not a JSON object");

        var entries = new List<Entry>();
        var metadata = new Dictionary<string, string>();
        var seen = new HashSet<string>();
        foreach (var property in root.EnumerateObject())
        {
            string name = property.Name;
            if (!seen.Add(name)) throw Bad(path, $"the header names '{name}' twice");
            var value = property.Value;
            if (name == MetadataKey)
            {
                if (value.ValueKind == JsonValueKind.Null) continue;
                if (value.ValueKind != JsonValueKind.Object) throw Bad(path, $"'{MetadataKey}' must be an object of strings, got {value.ValueKind}");
                foreach (var m in value.EnumerateObject())
                {
                    if (m.Value.ValueKind != JsonValueKind.String) throw Bad(path, $"metadata '{m.Name}' must be a string, got {m.Value.ValueKind}");
                    if (!metadata.TryAdd(m.Name, m.Value.GetString()!)) throw Bad(path, $"the metadata names '{m.Name}' twice");
                }
                continue;
            }
            entries.Add(ParseEntry(path, name, value, dataLength));
        }

        entries.Sort((a, b) => a.Begin != b.Begin ? a.Begin.CompareTo(b.Begin) : a.End.CompareTo(b.End));
        long cursor = 0;
        Entry? previous = null;
        foreach (var e in entries)
        {
            if (e.Begin < cursor)
                throw Bad(path, $"tensors '{previous!.Name}' (bytes [{previous.Begin}, {previous.End})) and '{e.Name}' (bytes [{e.Begin}, {e.End})) overlap");
            if (e.Begin > cursor) throw Bad(path, $"bytes [{cursor}, {e.Begin}) of the data section belong to no tensor (before '{e.Name}')");
            cursor = e.End;
            previous = e;
        }
        if (cursor != dataLength) throw Bad(path, $"bytes [{cursor}, {dataLength}) of the data section belong to no tensor");
        return (entries, metadata);
    }

    static Entry ParseEntry(string path, string name, JsonElement value, long dataLength)
    {
        if (value.ValueKind != JsonValueKind.Object) throw Bad(path, $"tensor '{name}': expected an object with dtype, shape and data_offsets, got {value.ValueKind}");
        if (!value.TryGetProperty("dtype", out var dtypeElement) || dtypeElement.ValueKind != JsonValueKind.String)
            throw Bad(path, $"tensor '{name}' has no dtype string");
        string dtypeName = dtypeElement.GetString()!;
        var type = Array.Find(Dtypes, d => d.Name == dtypeName)
            ?? throw Bad(path, $"tensor '{name}' has dtype '{dtypeName}', which Occam does not read (it reads {string.Join(", ", Dtypes.Select(d => d.Name))})");

        var shapeValues = Integers(path, name, value, "shape");
        var offsets = Integers(path, name, value, "data_offsets");
        if (offsets.Length != 2) throw Bad(path, $"tensor '{name}': data_offsets must be [begin, end], got {offsets.Length} numbers");
        var shape = new int[shapeValues.Length];
        long elements = 1;
        for (int i = 0; i < shape.Length; i++)
        {
            if (shapeValues[i] > int.MaxValue) throw Bad(path, $"tensor '{name}' has dimension {shapeValues[i]}, more than Occam's limit of {int.MaxValue}");
            shape[i] = (int)shapeValues[i];
            elements = Math.Min(elements * shape[i], (long)int.MaxValue + 1);
        }
        if (elements > int.MaxValue) throw Bad(path, $"tensor '{name}' has shape {Occam.Shape.Format(shape)}, more than {int.MaxValue} elements");

        long begin = offsets[0], end = offsets[1];
        if (begin > end) throw Bad(path, $"tensor '{name}' has data_offsets [{begin}, {end}) that end before they begin");
        if (end > dataLength) throw Bad(path, $"tensor '{name}' claims bytes [{begin}, {end}) but the data section holds {dataLength} bytes");
        long expected = elements * type.Size;
        if (end - begin != expected)
            throw Bad(path, $"tensor '{name}' of dtype {type.Name} and shape {Occam.Shape.Format(shape)} needs {expected} bytes but claims bytes [{begin}, {end}) ({end - begin} bytes)");
        return new Entry(name, type, shape, (int)elements, begin, end);
    }

    /// <summary>The non-negative integers of the array <paramref name="key"/> of a tensor's entry.</summary>
    static long[] Integers(string path, string name, JsonElement entry, string key)
    {
        if (!entry.TryGetProperty(key, out var array) || array.ValueKind != JsonValueKind.Array)
            throw Bad(path, $"tensor '{name}' has no {key} array");
        var values = new long[array.GetArrayLength()];
        int i = 0;
        foreach (var v in array.EnumerateArray())
        {
            if (v.ValueKind != JsonValueKind.Number || !v.TryGetInt64(out long x) || x < 0)
                throw Bad(path, $"tensor '{name}': {key} must hold non-negative integers, got {v.GetRawText()}");
            values[i++] = x;
        }
        return values;
    }

    static InvalidDataException Bad(string path, string message) => new($"Safetensors: '{path}': {message}");
}
