using System.Globalization;
using System.IO.Compression;

namespace Occam.Data.Readers;

/// <summary>Reading helpers shared by the file readers. Nothing here trusts a header: buffers grow only with
/// bytes actually read, so a header that claims more data than the file holds fails with a clear message
/// instead of an out-of-memory.</summary>
internal static class StreamData
{
    const int FirstChunk = 1 << 20;

    public static FileStream OpenFile(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        if (Directory.Exists(path)) throw new FileNotFoundException($"{path} is a directory, not a file", path);
        if (!File.Exists(path)) throw new FileNotFoundException($"{path}: no such file", path);
        return File.OpenRead(path);
    }

    /// <summary>Exactly <paramref name="count"/> bytes, or an <see cref="InvalidDataException"/> naming
    /// <paramref name="name"/> and what it is short of.</summary>
    public static byte[] ReadExactly(Stream stream, long count, string name, string what)
    {
        if (count > Array.MaxLength) throw new InvalidDataException($"{name}: {what} of {count} bytes is larger than this reader supports ({Array.MaxLength} bytes)");
        bool sized = stream.CanSeek;
        if (sized && stream.Length - stream.Position < count)
            throw Truncated(name, what, count, stream.Length - stream.Position);
        // A seekable stream was just checked to hold the bytes; any other grows its buffer as bytes arrive.
        var buffer = GC.AllocateUninitializedArray<byte>((int)(sized ? count : Math.Min(count, FirstChunk)));
        int filled = 0;
        while (filled < count)
        {
            if (filled == buffer.Length) Array.Resize(ref buffer, (int)Math.Min(count, (long)buffer.Length * 2));
            int read;
            try { read = stream.Read(buffer, filled, buffer.Length - filled); }
            catch (InvalidDataException e) { throw new InvalidDataException(Corrupt(name, e), e); }
            if (read == 0) throw Truncated(name, what, count, filled);
            filled += read;
        }
        return buffer;
    }

    /// <summary>Throws unless the stream has nothing after the data its header described.</summary>
    public static void ExpectEnd(Stream stream, string name, string format)
    {
        int extra;
        try { extra = stream.ReadByte(); }
        catch (InvalidDataException e) { throw new InvalidDataException(Corrupt(name, e), e); }
        if (extra != -1) throw new InvalidDataException($"{name}: there are bytes after the data its {format} header describes; the file is corrupt or not {format}");
    }

    /// <summary>A float64 value as float32. A finite value that rounds to an infinity (beyond float32's largest value by
    /// half an ulp or more) throws an <see cref="OverflowException"/> whose message, "{value}, beyond float32's range
    /// (±3.4e38)", the reader wraps with its file; one that rounds to ±float.MaxValue is kept, as numpy's astype does;
    /// NaN and ±∞ stay as they are.</summary>
    public static float ToFloat32(double value)
    {
        float single = (float)value;
        if (double.IsFinite(value) && float.IsInfinity(single))
            throw new OverflowException($"{value.ToString("R", CultureInfo.InvariantCulture)}, beyond float32's range (±3.4e38)");
        return single;
    }

    /// <summary>The stream itself, or a decompressing view of it when it starts with the gzip magic bytes 1f 8b.</summary>
    public static Stream Decompressed(Stream stream)
    {
        if (!stream.CanSeek)
        {
            var copy = new MemoryStream();
            stream.CopyTo(copy);
            copy.Position = 0;
            stream = copy;
        }
        long start = stream.Position;
        int b0 = stream.ReadByte(), b1 = stream.ReadByte();
        stream.Position = start;
        return b0 == 0x1f && b1 == 0x8b ? new GZipStream(stream, CompressionMode.Decompress, leaveOpen: true) : stream;
    }

    // .NET reports a bad gzip checksum as "unsupported compression method"; say what it means.
    static string Corrupt(string name, InvalidDataException e) =>
        $"{name}: the gzip data is corrupt: its checksum or its compressed bytes are damaged (the decompressor said: {e.Message})";

    static InvalidDataException Truncated(string name, string what, long expected, long present) =>
        new($"{name}: the file is truncated: its {what} needs {expected} bytes but only {present} remain");
}
