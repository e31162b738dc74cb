using System.CommandLine;
using Occam.Cli.Commands;

namespace Occam.Cli;

/// <summary>The `occam` command tree (built here so tests can run every command in-process).</summary>
internal static class OccamCli
{
    public static RootCommand Build()
    {
        var root = new RootCommand("occam — train neural networks that generalize: regularization studies, training, tuning and benchmarks on a pure-C# engine.");
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

    public static int Run(string[] args) => Build().Parse(args).Invoke();
}
