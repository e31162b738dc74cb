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
        string temp = Path.Combine(directory, $".{name}.{Guid.NewGuid():N}.tmp");
        try
        {
            using (var stream = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None, bufferSize: 1 << 16))
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
