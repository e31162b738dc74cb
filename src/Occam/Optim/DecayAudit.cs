using System.Globalization;
using System.Text;
using Occam.NN;

namespace Occam.Optim;

/// <summary>How weight decay reaches a parameter.</summary>
public enum DecayCoupling
{
    /// <summary>L2 through the gradient, g ← g + λθ, before momentum or adaptive scaling (SGD, Adam, RMSprop).</summary>
    Coupled,

    /// <summary>Shrinking the weights directly, θ ← θ − lr·λ·θ (AdamW).</summary>
    Decoupled,
}

/// <summary>One parameter in a <see cref="DecayAudit"/>. <see cref="Group"/> is null when the optimizer does not hold
/// the parameter; <see cref="Decay"/> is the λ that actually acts (0 when frozen or not held), and
/// <see cref="L1Proximal"/> the λ of the proximal L1 step after each update (likewise).</summary>
public sealed record DecayAuditRow(string Name, int[] Shape, string? Group, double Decay, DecayCoupling Coupling,
    bool Trainable, string? Regularizer, string? Constraint, double L1Proximal = 0);

/// <summary>
/// What weight decay (and which penalty and constraint) acts on every parameter of a model under an optimizer:
/// dotted name, shape, group, effective λ, coupled or decoupled, trainable. A parameter whose
/// <c>RequiresGrad</c> is false is not updated, so its effective decay is 0. <see cref="ToString"/> renders the
/// aligned table the CLI prints.
/// </summary>
public sealed class DecayAudit
{
    DecayAudit(IReadOnlyList<DecayAuditRow> rows, string optimizer) => (Rows, Optimizer) = (rows, optimizer);

    public IReadOnlyList<DecayAuditRow> Rows { get; }

    /// <summary>The optimizer's type name.</summary>
    public string Optimizer { get; }

    public static DecayAudit Of(Optimizer optimizer, Module model)
    {
        ArgumentNullException.ThrowIfNull(optimizer);
        ArgumentNullException.ThrowIfNull(model);
        var groupOf = new Dictionary<Parameter, ParameterGroup>(ReferenceEqualityComparer.Instance);
        foreach (var g in optimizer.Groups)
            foreach (var p in g.Parameters) groupOf[p] = g;
        var coupling = optimizer is AdamW ? DecayCoupling.Decoupled : DecayCoupling.Coupled;
        var rows = model.NamedParameters().Select(np =>
        {
            var (name, p) = np;
            var group = groupOf.GetValueOrDefault(p);
            double decay = group != null && p.RequiresGrad ? group.WeightDecay ?? 0 : 0;
            double l1 = group != null && p.RequiresGrad ? group.L1Proximal ?? optimizer.L1Proximal : 0;
            return new DecayAuditRow(name, p.Shape, group == null ? null : GroupName(optimizer, group), decay, coupling,
                p.RequiresGrad, p.Regularizer?.ToString(), p.Constraint?.ToString(), l1);
        }).ToList();
        return new DecayAudit(rows, optimizer.GetType().Name);
    }

    static string GroupName(Optimizer optimizer, ParameterGroup g) =>
        g.Name.Length > 0 ? g.Name : $"#{optimizer.Groups.ToList().IndexOf(g)}";

    /// <summary>Number of trainable parameter elements with a nonzero effective decay.</summary>
    public long DecayedElements => Rows.Where(r => r.Decay > 0).Sum(r => (long)Occam.Shape.Size(r.Shape));

    /// <summary>The table, one row per parameter, then a summary line.</summary>
    public override string ToString()
    {
        bool extras = Rows.Any(r => r.Regularizer != null || r.Constraint != null), proximal = Rows.Any(r => r.L1Proximal > 0);
        string[] header = ["parameter", "shape", "group", "decay", "mode", "trainable"];
        if (proximal) header = [.. header, "l1 prox"];
        if (extras) header = [.. header, "regularizer", "constraint"];
        var table = new List<string[]> { header };
        foreach (var r in Rows)
        {
            string[] cells =
            [
                r.Name, Occam.Shape.Format(r.Shape), r.Group ?? "(not in optimizer)",
                r.Decay.ToString("G4", CultureInfo.InvariantCulture), r.Coupling == DecayCoupling.Coupled ? "coupled" : "decoupled",
                r.Trainable ? "yes" : "frozen",
            ];
            if (proximal) cells = [.. cells, r.L1Proximal.ToString("G4", CultureInfo.InvariantCulture)];
            table.Add(extras ? [.. cells, r.Regularizer ?? "-", r.Constraint ?? "-"] : cells);
        }
        var widths = Enumerable.Range(0, header.Length).Select(c => table.Max(row => row[c].Length)).ToArray();
        var sb = new StringBuilder();
        foreach (var row in table)
            sb.AppendLine(string.Join("  ", row.Select((cell, c) => c == row.Length - 1 ? cell : cell.PadRight(widths[c]))).TrimEnd());
        long total = Rows.Sum(r => (long)Occam.Shape.Size(r.Shape));
        sb.Append(CultureInfo.InvariantCulture, $"{Optimizer}: {DecayedElements} of {total} parameter elements decayed");
        return sb.ToString();
    }
}
