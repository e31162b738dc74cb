using System.CommandLine;
using Occam.Cli.Commands;

var root = new RootCommand("occam — train neural networks that generalize: regularization studies, training and benchmarks on a pure-C# engine.");
root.Subcommands.Add(StudyCommand.Create());
root.Subcommands.Add(BenchCommand.Create());
return root.Parse(args).Invoke();
