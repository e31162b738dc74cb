using System.CommandLine;
using Spectre.Console;

namespace Occam.Cli;

/// <summary>Options every command shares, and the one wrapper that turns exceptions into one clear sentence.</summary>
internal static class Cli
{
    public static readonly Option<bool> Verbose = new("--verbose") { Description = "On error, also print the stack trace.", Recursive = true };

    public static Option<int> Seed() => new("--seed") { Description = "Random seed (all randomness derives from it).", DefaultValueFactory = _ => 1 };

    public static Option<int> Threads() => new("--threads") { Description = "Engine threads (default: processor count).", DefaultValueFactory = _ => Environment.ProcessorCount };

    public static Option<string> Out(string defaultDirectory) => new("--out") { Description = $"Output directory (default: {defaultDirectory}).", DefaultValueFactory = _ => defaultDirectory };

    public static Option<bool> Json() => new("--json") { Description = "Print the result as JSON instead of tables." };

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
                    if (t < 1) throw new ArgumentException($"--threads must be at least 1, got {t}");
                    Occam.Threads.Count = t;
                }
                return body(parse);
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                Console.Error.WriteLine($"{command.Name}: {e.Message}");
                if (parse.GetValue(Verbose)) Console.Error.WriteLine(e.ToString());
                return e is ArgumentException or FormatException ? 2 : 1;
            }
        });
    }

    /// <summary>Writes a report into a temporary sibling folder and moves it into place only when complete, so a crash
    /// never leaves a half-written report; an existing report at <paramref name="directory"/> is replaced.</summary>
    public static void WriteDirectoryAtomically(string directory, Action<string> write)
    {
        var full = Path.TrimEndingDirectorySeparator(Path.GetFullPath(directory));
        var parent = Path.GetDirectoryName(full) ?? ".";
        Directory.CreateDirectory(parent);
        var temp = Path.Combine(parent, $".{Path.GetFileName(full)}.{Guid.NewGuid():N}.tmp");
        Directory.CreateDirectory(temp);
        try
        {
            write(temp);
            if (Directory.Exists(full)) Directory.Delete(full, recursive: true);
            Directory.Move(temp, full);
        }
        catch
        {
            if (Directory.Exists(temp)) Directory.Delete(temp, recursive: true);
            throw;
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
