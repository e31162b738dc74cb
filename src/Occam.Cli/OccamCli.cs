using System.CommandLine;
using System.CommandLine.Help;
using Occam.Cli.Commands;

namespace Occam.Cli;

/// <summary>The `occam` command tree (built here so tests can run every command in-process).</summary>
internal static class OccamCli
{
    /// <summary>The root is a plain command named "occam" rather than a <see cref="RootCommand"/>, whose name is the
    /// executable's ("Usage: Occam.Cli ..." in every help text); it gets the help and version options a root has.</summary>
    public static Command Build()
    {
        var root = new Command(Cli.ToolName, "occam — train neural networks that generalize: regularization studies, training, tuning and benchmarks on a pure-C# engine.");
        root.Options.Add(new HelpOption());
        root.Options.Add(new VersionOption());
        root.Options.Add(Cli.Verbose);
        root.Subcommands.Add(StudyCommand.Create());
        root.Subcommands.Add(TrainCommand.Create());
        root.Subcommands.Add(SweepCommand.Create());
        root.Subcommands.Add(DoubleDescentCommand.Create());
        root.Subcommands.Add(PathCommand.Create());
        root.Subcommands.Add(AdviseCommand.Create());
        root.Subcommands.Add(WeightsCommand.Create());
        root.Subcommands.Add(AuditCommand.Create());
        root.Subcommands.Add(BenchCommand.Create());
        return root;
    }

    /// <summary>Parses and runs. A command line that does not parse gets one line per problem, naming the command and
    /// the value in words a user reads (not .NET type names), and exit code 2, as any other bad argument.</summary>
    public static int Run(string[] args)
    {
        var parse = Build().Parse(args);
        if (parse.Errors.Count == 0 || IsHelp(args) || args.Length == 0) return parse.Invoke(); // no arguments: the help
        var command = parse.CommandResult.Command;
        string name = Cli.CommandName(command);
        foreach (var error in parse.Errors) Console.Error.WriteLine($"{name}: {Readable(error.Message)}");
        Console.Error.WriteLine($"See `{(Cli.IsRoot(command) ? Cli.ToolName : Cli.ToolName + " " + name)} --help`.");
        return 2;
    }

    static bool IsHelp(string[] args) => args.Any(a => a is "--help" or "-h" or "-?");

    // "as expected type 'System.Nullable`1[System.Int32]'" → "as a whole number"
    static string Readable(string message) =>
        System.Text.RegularExpressions.Regex.Replace(message, @"as expected type '([^']+)'",
            m => Cli.TypeInWords(m.Groups[1].Value) is { } words ? $"as {words}" : m.Value);
}
