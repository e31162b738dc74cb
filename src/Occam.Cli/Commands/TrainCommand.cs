using System.CommandLine;

namespace Occam.Cli.Commands;

/// <summary>`occam train`: PLACEHOLDER, being written.</summary>
internal static class TrainCommand
{
    public static Command Create() => new("train", "(not yet available)");
}
