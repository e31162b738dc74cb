using System.Text;

namespace Occam.IO;

/// <summary>
/// Writes a file all at once or not at all: the content goes to a temporary file in the same directory
/// (so the final rename stays on one file system), is flushed to disk, and then replaces
/// <c>path</c> with <see cref="File.Move(string, string, bool)"/>. If anything throws, the temporary file is
/// deleted and the previous file at <c>path</c>, if any, is left untouched. A symbolic link at <c>path</c> stays a
/// link (the file it points to is replaced), a replaced file keeps its Unix permissions, and a read-only file is
/// refused rather than replaced.
/// </summary>
public static class AtomicFile
{
    /// <summary>Creates or replaces <paramref name="path"/> with what <paramref name="write"/> writes to the stream;
    /// errors name <paramref name="op"/>.</summary>
    public static void Write(string path, Action<Stream> write, string op = "AtomicFile.Write")
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        ArgumentNullException.ThrowIfNull(write);
        string full = Target(Path.GetFullPath(path), op);
        string name = Path.GetFileName(full);
        string directory = Path.GetDirectoryName(full) ?? "";
        if (name.Length == 0) throw new ArgumentException($"{op}: '{path}' names a directory, not a file");
        if (Directory.Exists(full)) throw new ArgumentException($"{op}: '{path}' is a directory");
        if (!Directory.Exists(directory)) throw new DirectoryNotFoundException($"{op}: the directory '{directory}' of '{path}' does not exist");
        // The rename needs only the directory's permission, so it would replace a file its owner made read-only.
        if (File.Exists(full) && IsReadOnly(full))
            throw new UnauthorizedAccessException($"{op}: cannot write '{path}': it is read-only{(full != Path.GetFullPath(path) ? $" (the link's target '{full}')" : "")}");
        string temp = Path.Combine(directory, TempName(name));
        FileStream stream;
        try { stream = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None, bufferSize: 1 << 16); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            string message = $"{op}: cannot write '{path}': creating the temporary file '{temp}' failed: {e.Message}";
            throw e is UnauthorizedAccessException ? new UnauthorizedAccessException(message, e) : new IOException(message, e);
        }
        try
        {
            using (stream)
            {
                write(stream);
                stream.Flush(flushToDisk: true);
            }
            if (!OperatingSystem.IsWindows() && File.Exists(full)) File.SetUnixFileMode(temp, File.GetUnixFileMode(full));
            File.Move(temp, full, overwrite: true);
        }
        catch (Exception e)
        {
            try { File.Delete(temp); } catch (IOException) { } catch (UnauthorizedAccessException) { }
            if (e is UnauthorizedAccessException) throw new UnauthorizedAccessException($"{op}: cannot write '{path}': {e.Message}", e);
            throw;
        }
    }

    // Read-only as the user sees it: the attribute, or on Unix a mode without the owner's write bit (which the
    // attribute does not report to root).
    static bool IsReadOnly(string full) =>
        File.GetAttributes(full).HasFlag(FileAttributes.ReadOnly)
        || (!OperatingSystem.IsWindows() && !File.GetUnixFileMode(full).HasFlag(UnixFileMode.UserWrite));

    const int TempOverhead = 14;  // "." + "." + 8 hex digits + ".tmp"
    const int ShortPrefix = 32;

    /// <summary>".{prefix of name}.{8 hex}.tmp", never longer than <paramref name="name"/> (in UTF-8 bytes, as Unix
    /// file systems count, and in UTF-16 units, as Windows counts) unless that is under 46, so any name a file
    /// system accepts for the target it accepts for the temporary file.</summary>
    static string TempName(string name)
    {
        int bytes = Encoding.UTF8.GetByteCount(name);
        int maxBytes = Math.Min(bytes, Math.Max(bytes - TempOverhead, ShortPrefix));
        int maxChars = Math.Min(name.Length, Math.Max(name.Length - TempOverhead, ShortPrefix));
        var prefix = new StringBuilder();
        int usedBytes = 0;
        foreach (var rune in name.EnumerateRunes())   // whole code points: a surrogate pair is never split
        {
            if (usedBytes + rune.Utf8SequenceLength > maxBytes || prefix.Length + rune.Utf16SequenceLength > maxChars) break;
            usedBytes += rune.Utf8SequenceLength;
            prefix.Append(rune.ToString());
        }
        return $".{prefix}.{Random.Shared.Next():x8}.tmp";
    }

    // The file a path finally names: itself, or where its chain of symbolic links ends.
    static string Target(string full, string op)
    {
        if (new FileInfo(full).LinkTarget == null) return full; // not a link (or nothing there yet)
        try
        {
            var link = File.ResolveLinkTarget(full, returnFinalTarget: true);
            return link == null ? full : Path.GetFullPath(link.FullName);
        }
        catch (IOException e) { throw new IOException($"{op}: cannot follow the link '{full}': {e.Message}", e); }
    }
}
