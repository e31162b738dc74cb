using System.CommandLine;

namespace Occam.Cli.Commands;

/// <summary>`occam study`: PLACEHOLDER.</summary>
internal static class StudyCommand
{
    public static Command Create()
    {
        var command = new Command("study", "Regularization study.");
        return command;
    }
}
