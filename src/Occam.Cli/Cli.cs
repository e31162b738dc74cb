using System.CommandLine;
using Spectre.Console;

namespace Occam.Cli;

/// <summary>Options every command shares, and the one wrapper that turns exceptions into one clear sentence.</summary>
internal static class Cli
{
    public static readonly Option<bool> Verbose = new("--verbose") { Description = "On error, also print the stack trace.", Recursive = true };

    public static Option<int> Seed() => new("--seed") { Description = "Random seed (all randomness derives from it).", DefaultValueFactory = _ => 1 };

    public static Option<int> Threads() => new("--threads") { Description = "Engine threads (default: processor count).", DefaultValueFactory = _ => Environment.ProcessorCount };

    public static Option<string> Out(string defaultDirectory) => new("--out")
    {
        Description = $"Output folder (default: {defaultDirectory}). Made if new; in an earlier occam report's folder the report's files are replaced and yours left alone; a folder of other files is refused.",
        DefaultValueFactory = _ => defaultDirectory,
    };

    public static Option<bool> Json() => new("--json") { Description = "Print the result as JSON instead of tables." };

    /// <summary>The most engine threads a command takes (more than this many would only wait on each other).</summary>
    public const int MaxThreads = 256;

    /// <summary>Runs a command body: sets the thread count when given, and maps any exception to one sentence on
    /// stderr with exit code 1 (2 for bad arguments), adding the stack trace with --verbose.</summary>
    public static void SetAction(Command command, Func<ParseResult, int> body, Option<int>? threads = null)
    {
        command.SetAction(parse =>
        {
            try
            {
                if (threads != null)
                {
                    int t = parse.GetValue(threads);
                    if (t < 1 || t > MaxThreads) throw new ArgumentException($"--threads must be in [1, {MaxThreads}], got {t}");
                    Occam.Threads.Count = t;
                }
                return body(parse);
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                Console.Error.WriteLine($"{CommandName(command)}: {e.Message}");
                if (parse.GetValue(Verbose)) Console.Error.WriteLine(e.ToString());
                return e is ArgumentException or FormatException ? 2 : 1;
            }
        });
    }

    /// <summary>How errors name a command: "occam" for the root, "train", and a subcommand with its parent ("bench gemm").</summary>
    public static string CommandName(Command command) =>
        IsRoot(command) ? ToolName
            : command.Parents.OfType<Command>().FirstOrDefault() is { } parent && !IsRoot(parent) ? $"{parent.Name} {command.Name}" : command.Name;

    /// <summary>The tool's name, as help and errors spell it.</summary>
    public const string ToolName = "occam";

    /// <summary>Whether a command is the root of the tree (it has no parent command).</summary>
    public static bool IsRoot(Command command) => !command.Parents.OfType<Command>().Any();

    /// <summary>What a .NET type name means to a user of the tool ("System.Nullable`1[System.Int32]" → "a whole number"),
    /// or null for a type it has no words for.</summary>
    public static string? TypeInWords(string type) => type.Replace("System.Nullable`1[", "").TrimEnd(']') switch
    {
        "System.Int32[" => "a list of whole numbers",
        "System.Int32" or "System.Int64" => "a whole number",
        "System.Double" or "System.Single" => "a number",
        "System.Boolean" => "true or false",
        "System.String" => "text",
        _ => null,
    };

    /// <summary>Runs <paramref name="build"/> (a library call that checks its arguments) and restates an argument error
    /// in the command's flag names: "Sweep: points must be …" becomes "--points must be …".</summary>
    public static T InFlagNames<T>(Func<T> build, string prefix, params (string Name, string Flag)[] names)
    {
        try { return build(); }
        catch (ArgumentException e) when (e.Message.StartsWith(prefix + ": ", StringComparison.Ordinal))
        {
            string message = e.Message[(prefix.Length + 2)..];
            foreach (var (name, flag) in names)
                if (message.StartsWith(name + " ", StringComparison.Ordinal)) { message = flag + message[name.Length..]; break; }
            throw new ArgumentException(message, e);
        }
    }

    /// <summary>Runs <paramref name="load"/>, which reads the Fashion-MNIST files, and restates the library's
    /// missing-files error in the tool's options (--data-root when the command has it, $OCCAM_DATA, --data embedded)
    /// rather than in FashionMnist.Load's arguments.</summary>
    public static T WithFashionMnist<T>(Func<T> load, string? root, bool hasRootOption)
    {
        try { return load(); }
        catch (FileNotFoundException e) when (e.Message.StartsWith("FashionMnist.Load: ", StringComparison.Ordinal))
        {
            if (!e.Message.StartsWith("FashionMnist.Load: no Fashion-MNIST files", StringComparison.Ordinal))
                throw new FileNotFoundException("--data fashion-mnist: " + e.Message["FashionMnist.Load: ".Length..], e.FileName, e);
            string? variable = Environment.GetEnvironmentVariable(Occam.Data.FashionMnist.RootVariable);
            string chosen = root ?? (string.IsNullOrEmpty(variable) ? Occam.Data.FashionMnist.DefaultRoot : variable);
            string source = root != null ? "--data-root" : string.IsNullOrEmpty(variable) ? "the default location" : "$" + Occam.Data.FashionMnist.RootVariable;
            throw new FileNotFoundException(
                $"--data fashion-mnist: no Fashion-MNIST files (train-images-idx3-ubyte[.gz] and the others) in {chosen} ({source}); " +
                $"install them with `apt-get install dataset-fashion-mnist` (into {Occam.Data.FashionMnist.DefaultRoot}), point " +
                $"{(hasRootOption ? "--data-root or " : "")}${Occam.Data.FashionMnist.RootVariable} at a folder that holds them, or use --data embedded, which needs no files", e);
        }
    }

    /// <summary>Runs <paramref name="read"/>, which reads a --csv table, and restates the CSV reader's complaint about
    /// its label column as one about --label (without .NET's "(Parameter 'labelColumn')").</summary>
    public static T WithLabel<T>(Func<T> read, string label)
    {
        try { return read(); }
        catch (ArgumentException e) when (e.ParamName == "labelColumn")
        {
            string message = e.Message.Replace($" (Parameter '{e.ParamName}')", "", StringComparison.Ordinal);
            if (message.StartsWith("Csv.Read: ", StringComparison.Ordinal)) message = message["Csv.Read: ".Length..];
            throw new ArgumentException($"--label {label}: {message}", e);
        }
    }

    /// <summary>The file every report folder holds, which marks it as occam's own and lists the files its report wrote:
    /// only such a folder (or an empty one) is ever written into, and only the listed files are ever replaced or removed.</summary>
    internal const string ReportMarker = ".occam-report";

    const string MarkerHeader = "A report folder of the occam tool. The next report written here replaces these files of the last one:";

    /// <summary>Checks an output folder before any work starts, so that a bad one costs nothing and nothing of the
    /// user's is ever replaced: it must not be a file, and a folder already there must be empty or hold an earlier
    /// report (its <see cref="ReportMarker"/>). Returns the full path.</summary>
    public static string CheckOut(string? directory, string option = "--out")
    {
        if (string.IsNullOrWhiteSpace(directory)) throw new ArgumentException($"{option} must name a folder, got '{directory}'");
        var full = CheckFolderPath(directory, option, "the report");
        if (Directory.Exists(full) && !Replaceable(full))
            throw new ArgumentException($"{option} '{directory}' is a folder with files that occam did not write; name a new or empty folder (occam writes only into its own report folders)");
        return full;
    }

    /// <summary>Checks that a folder can be at <paramref name="directory"/>: neither it nor a folder above it is a file.
    /// Returns the full path.</summary>
    public static string CheckFolderPath(string directory, string option, string purpose)
    {
        var full = Path.TrimEndingDirectorySeparator(Path.GetFullPath(directory));
        if (File.Exists(full)) throw new ArgumentException($"{option} '{directory}' is a file; name a folder for {purpose}");
        for (var above = Path.GetDirectoryName(full); above != null; above = Path.GetDirectoryName(above))
            if (File.Exists(above)) throw new ArgumentException($"{option} '{directory}': '{above}' is a file, so no folder can be made inside it");
        return full;
    }

    /// <summary>Rejects an <paramref name="inner"/> path (a file or folder the run reads or keeps) inside or equal to
    /// the output folder <paramref name="output"/>, whose report files a run replaces, or holding it.</summary>
    public static void CheckOutside(string inner, string innerOption, string output, string outputOption = "--out")
    {
        string a = Path.TrimEndingDirectorySeparator(Path.GetFullPath(inner)), o = Path.TrimEndingDirectorySeparator(Path.GetFullPath(output));
        bool within(string x, string folder) => x == folder || x.StartsWith(folder + Path.DirectorySeparatorChar, StringComparison.Ordinal);
        if (within(a, o) || within(o, a))
            throw new ArgumentException($"{innerOption} '{inner}' and {outputOption} '{output}' overlap, and a report replaces what is in {outputOption}; keep them apart");
    }

    static bool Replaceable(string folder) =>
        File.Exists(Path.Combine(folder, ReportMarker)) || !Directory.EnumerateFileSystemEntries(folder).Any();

    // The files the report in folder wrote, as its marker lists them (relative paths).
    static List<string> ReportFiles(string folder)
    {
        string marker = Path.Combine(folder, ReportMarker);
        return File.Exists(marker) ? File.ReadAllLines(marker).Skip(1).Where(l => l.Length > 0).ToList() : [];
    }

    /// <summary>Whether <paramref name="folder"/> holds an earlier report's files (not only a marker, as a run's folder
    /// has before its first report).</summary>
    public static bool HoldsReport(string folder) => ReportFiles(folder).Count > 0;

    static void WriteMarker(string folder, IEnumerable<string> files) =>
        File.WriteAllLines(Path.Combine(folder, ReportMarker), [MarkerHeader, .. files]);

    /// <summary>Makes <paramref name="directory"/> (checked by <see cref="CheckOut"/>) and marks it as a report folder, for a
    /// run that writes into it as it goes (a checkpoint) before its report is written there.</summary>
    public static void CreateReportFolder(string directory)
    {
        var full = CheckOut(directory);
        Directory.CreateDirectory(full);
        if (!File.Exists(Path.Combine(full, ReportMarker))) WriteMarker(full, []);
    }

    /// <summary>Marks a folder a run of occam wrote before reports carried a marker (a checkpoint's folder given to
    /// --resume), so the resumed run may write its report there.</summary>
    public static void AdoptReportFolder(string directory)
    {
        if (Directory.Exists(directory) && !File.Exists(Path.Combine(directory, ReportMarker))) WriteMarker(directory, []);
    }

    /// <summary>Writes a report into a temporary sibling folder, then puts it in place. A new folder is moved into place
    /// whole, so a crash never leaves a half-written report there. Into an earlier report's folder (or an empty one)
    /// the files are moved one by one, each replacing its namesake, and the earlier report's other files are removed;
    /// files it did not write are left alone, and no folder is ever moved away (it may be the current one). Anything
    /// else at <paramref name="directory"/> is refused (<see cref="CheckOut"/>).</summary>
    public static void WriteDirectoryAtomically(string directory, Action<string> write, string option = "--out")
    {
        var full = CheckOut(directory, option);
        var parent = Path.GetDirectoryName(full) ?? ".";
        Directory.CreateDirectory(parent);
        var temp = Path.Combine(parent, $".{Path.GetFileName(full)}.{Guid.NewGuid():N}.tmp");
        Directory.CreateDirectory(temp);
        try
        {
            write(temp);
            var files = Directory.EnumerateFiles(temp, "*", SearchOption.AllDirectories).Select(f => Path.GetRelativePath(temp, f)).Order(StringComparer.Ordinal).ToList();
            if (!Directory.Exists(full))
            {
                WriteMarker(temp, files);
                Directory.Move(temp, full);
                return;
            }
            CheckOut(directory, option); // still empty or occam's own
            var earlier = ReportFiles(full);
            foreach (var file in files)
            {
                string to = Path.Combine(full, file);
                Directory.CreateDirectory(Path.GetDirectoryName(to)!);
                File.Move(Path.Combine(temp, file), to, overwrite: true);
            }
            foreach (var stale in earlier.Except(files))
            {
                string path = Path.GetFullPath(Path.Combine(full, stale));
                if (path.StartsWith(full + Path.DirectorySeparatorChar, StringComparison.Ordinal) && File.Exists(path)) File.Delete(path);
            }
            WriteMarker(full, files);
        }
        finally
        {
            if (Directory.Exists(temp)) Directory.Delete(temp, recursive: true);
        }
    }

    /// <summary>A console for tables and progress on the current <see cref="Console.Out"/> (made per call, so in-process
    /// runs with a redirected Console.Out work); 200 columns wide when redirected, so wide tables don't wrap.</summary>
    public static IAnsiConsole Terminal()
    {
        var console = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(Console.Out) });
        if (Console.IsOutputRedirected || Console.Out is StringWriter) console.Profile.Width = Math.Max(console.Profile.Width, 200);
        return console;
    }
}
