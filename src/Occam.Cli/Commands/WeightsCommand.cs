using System.CommandLine;
using System.Globalization;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using Occam.Cli.Reports;
using Occam.Studies;
using Spectre.Console;

namespace Occam.Cli.Commands;

/// <summary>`occam weights CHECKPOINT [--compare B …]`: per-tensor weight statistics of safetensors files
/// (<see cref="WeightReport"/>), side by side when several, with histograms and weights.json under --out.</summary>
internal static class WeightsCommand
{
    public static Command Create()
    {
        var checkpoint = new Argument<string?>("CHECKPOINT")
        {
            Description = "A safetensors file (any state dict: Occam checkpoint or PyTorch safetensors.torch.save_file).",
            Arity = ArgumentArity.ZeroOrOne,
        };
        var compare = new Option<string[]>("--compare")
        {
            Description = "More safetensors files to show side by side with CHECKPOINT (or with each other when CHECKPOINT is omitted).",
            AllowMultipleArgumentsPerToken = true,
            Arity = ArgumentArity.OneOrMore,
        };
        var output = new Option<string?>("--out") { Description = "Directory to write weights.json and histogram.png into (created; other files in it are left alone)." };
        var perLayer = new Option<bool>("--per-layer") { Description = "With --out, also one histogram per weight tensor (hist-NAME.png)." };
        var json = Cli.Json();
        var command = new Command("weights", """
            Weight statistics of checkpoints, per tensor: shape, count, L1 and L2 norm, max |w|, the fraction of exact
            zeros and of |w| < 1e-3; totals over all parameters (biases and normalization parameters included) and
            over the weight matrices and kernels alone, which are what train's weight_l1, weight_l2 and zero fraction and
            the study's norms cover (batch-norm running statistics listed, not counted; optimizer state skipped).
            Several files are shown side by side and their histograms overlaid: a model
            trained with proximal L1 (the optimizers' l1Proximal; occam study's l1 configuration) spikes at exactly 0; a
            plain L1 penalty (occam train --l1, a subgradient step) crowds weights near 0 (|w| < 1e-3) but leaves few
            exact zeros; an L2-trained one is narrower than an unregularized one.
            Example: occam weights runs/l1/model.safetensors --out reports/weights
                     occam weights none.safetensors --compare l1.safetensors l2.safetensors --out reports/compare
            """) { checkpoint, compare, output, perLayer, json };
        Cli.SetAction(command, parse =>
        {
            var files = new List<string>();
            if (parse.GetValue(checkpoint) is string first) files.Add(first);
            files.AddRange(parse.GetValue(compare) ?? []);
            if (files.Count == 0) throw new ArgumentException("give a CHECKPOINT file (and optionally --compare FILE …)");
            if (parse.GetValue(perLayer) && parse.GetValue(output) == null)
                throw new ArgumentException("--per-layer writes one histogram per weight tensor into --out; give --out DIR");
            if (parse.GetValue(output) is string folder) Cli.CheckFolderPath(folder, "--out", "weights.json and its histograms");
            var reports = files.Select(WeightReport.Load).ToList();
            var labels = Labels(files);
            string text = Json(reports, labels);
            if (parse.GetValue(output) is string dir) Write(dir, reports, labels, text, parse.GetValue(perLayer));
            if (parse.GetValue(json)) Console.Out.WriteLine(text);
            else if (reports.Count == 1) PrintOne(reports[0]);
            else PrintSideBySide(reports, labels);
            if (parse.GetValue(output) is string written && !parse.GetValue(json)) Console.Out.WriteLine($"Wrote {Path.Combine(written, "weights.json")} and histogram.png");
            return 0;
        });
        return command;
    }

    /// <summary>File names without extension, or whole paths where two names coincide.</summary>
    static List<string> Labels(List<string> files)
    {
        var names = files.Select(Path.GetFileNameWithoutExtension).ToList();
        return names.Distinct().Count() == names.Count ? names! : files;
    }

    static string G(double v) => v.ToString("G4", CultureInfo.InvariantCulture);

    static string Pct(double v) => (v * 100).ToString("0.0", CultureInfo.InvariantCulture) + "%";

    static string ShapeText(int[] shape) => Markup.Escape(Shape.Format(shape));

    static void PrintOne(WeightReport report)
    {
        var console = Cli.Terminal();
        console.MarkupLine($"[bold]{Markup.Escape(report.Source)}[/]");
        var table = new Table().AddColumn("tensor").AddColumn("shape");
        foreach (var c in new[] { "count", "L1", "L2", "max |w|", "zeros", "|w|<1e-3" }) table.AddColumn(new TableColumn(c).RightAligned());
        foreach (var s in report.Tensors.Append(report.Total).Append(report.Matrices))
        {
            bool total = s == report.Total || s == report.Matrices;
            string name = s == report.Total ? "[bold]all parameters[/]" : s == report.Matrices ? "[bold]weight matrices[/]"
                : Markup.Escape(s.Name) + (s.Buffer ? " [dim](buffer)[/]" : "");
            table.AddRow(name, total ? "" : ShapeText(s.Shape), s.Count.ToString(CultureInfo.InvariantCulture),
                G(s.L1), G(s.L2), G(s.MaxAbs), Pct(s.ZeroFraction), Pct(s.SmallFraction));
        }
        console.Write(table);
    }

    static void PrintSideBySide(List<WeightReport> reports, List<string> labels)
    {
        var console = Cli.Terminal();
        var table = new Table().AddColumn("tensor");
        foreach (var label in labels)
        {
            // The file's label heads the first column of its group.
            var columns = new[] { "L2", "max |w|", "zeros", "<1e-3" };
            for (int c = 0; c < columns.Length; c++)
                table.AddColumn(new TableColumn($"{(c == 0 ? $"[bold]{Markup.Escape(label)}[/]" : "")}\n{columns[c]}").RightAligned());
        }
        var names = reports.SelectMany(r => r.Tensors.Where(t => !t.Buffer).Select(t => t.Name)).Distinct().ToList();
        // the two totals follow the tensors, under names no tensor can have
        const string all = "\0all", matrices = "\0matrices";
        foreach (var name in names.Append(all).Append(matrices))
        {
            var row = new List<string> { name == all ? "[bold]all parameters[/]" : name == matrices ? "[bold]weight matrices[/]" : Markup.Escape(name) };
            foreach (var r in reports)
            {
                var s = name == all ? r.Total : name == matrices ? r.Matrices : r.Tensors.FirstOrDefault(t => t.Name == name);
                row.AddRange(s is null ? ["-", "-", "-", "-"] : [G(s.L2), G(s.MaxAbs), Pct(s.ZeroFraction), Pct(s.SmallFraction)]);
            }
            table.AddRow(row.ToArray());
        }
        console.Write(table);
    }

    static void Write(string dir, List<WeightReport> reports, List<string> labels, string json, bool perLayer)
    {
        Directory.CreateDirectory(dir);
        File.WriteAllText(Path.Combine(dir, "weights.json"), json + "\n"); // UTF-8 without a byte-order mark, as every other JSON
        var samples = reports.Select((r, i) => (labels[i], r.Values())).ToList();
        // Symmetric about 0 with an odd bin count, so exact zeros (L1) fill the centre bin.
        double m = reports.Max(r => r.Total.MaxAbs);
        if (!(m > 0) || !double.IsFinite(m)) m = 1;
        Plots.Histograms(Path.Combine(dir, "histogram.png"), reports.Count == 1 ? $"Weights of {labels[0]}" : "Weights",
            "weight value", samples, bins: 101, min: -m, max: m);
        if (!perLayer) return;
        foreach (var name in reports.SelectMany(r => r.Tensors.Where(t => !t.Buffer).Select(t => t.Name)).Distinct())
        {
            var layer = reports.Select((r, i) => (labels[i], r.Values(name))).ToList();
            double lm = layer.Max(s => s.Item2.Length > 0 ? s.Item2.Max(Math.Abs) : 0);
            if (!(lm > 0) || !double.IsFinite(lm)) lm = 1;
            string file = "hist-" + new string(name.Select(ch => char.IsLetterOrDigit(ch) || ch is '.' or '_' or '-' ? ch : '_').ToArray()) + ".png";
            Plots.Histograms(Path.Combine(dir, file), $"Weights: {name}", "weight value", layer, bins: 101, min: -lm, max: lm);
        }
    }

    static readonly JsonSerializerOptions JsonOptions = new()
    {
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
        NumberHandling = System.Text.Json.Serialization.JsonNumberHandling.AllowNamedFloatingPointLiterals, // a NaN weight stays visible
    };

    static Dictionary<string, object> StatsJson(TensorStats s) => new()
    {
        ["name"] = s.Name, ["shape"] = s.Shape, ["count"] = s.Count, ["l1"] = s.L1, ["l2"] = s.L2, ["max_abs"] = s.MaxAbs,
        ["zero_fraction"] = s.ZeroFraction, ["small_fraction"] = s.SmallFraction, ["buffer"] = s.Buffer,
    };

    /// <summary>One file: {"path", "label", "tensors": [...], "total": {...} (all parameters), "weight_matrices": {...}};
    /// several: {"files": [those]}.</summary>
    static string Json(List<WeightReport> reports, List<string> labels)
    {
        var files = reports.Select((r, i) => new Dictionary<string, object>
        {
            ["path"] = r.Source, ["label"] = labels[i],
            ["tensors"] = r.Tensors.Select(StatsJson).ToList(), ["total"] = StatsJson(r.Total), ["weight_matrices"] = StatsJson(r.Matrices),
        }).ToList();
        return reports.Count == 1
            ? JsonSerializer.Serialize(files[0], JsonOptions)
            : JsonSerializer.Serialize(new Dictionary<string, object> { ["files"] = files }, JsonOptions);
    }
}
