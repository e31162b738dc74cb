using System.CommandLine;
using System.Globalization;
using System.Text.Encodings.Web;
using System.Text.Json;
using Occam.NN;
using Occam.Optim;
using Occam.Studies;
using Spectre.Console;

namespace Occam.Cli.Commands;

/// <summary>`occam audit`: which parameters weight decay acts on, with what λ and how (<see cref="DecayAudit"/>),
/// for one of the standard models under an optimizer and a decay policy.</summary>
internal static class AuditCommand
{
    public static Command Create()
    {
        var model = new Option<string>("--model") { Description = "mlp (784-256-128-10) or cnn (two conv blocks), both with batch norm.", DefaultValueFactory = _ => "mlp" };
        model.AcceptOnlyFromAmong("mlp", "cnn");
        var optimizer = new Option<string>("--optimizer") { Description = "adamw (decoupled decay), or adam, nadam, radam, adamax, adagrad, rmsprop or sgd (coupled, L2 through the gradient).", DefaultValueFactory = _ => "adamw" };
        optimizer.AcceptOnlyFromAmong("adamw", "adam", "nadam", "radam", "adamax", "adagrad", "rmsprop", "sgd");
        var weightDecay = new Option<double>("--weight-decay") { Description = "λ of the decayed group.", DefaultValueFactory = _ => 0.01 };
        var policy = new Option<string>("--policy")
        {
            Description = "exclude-bias-and-norm: biases and normalization parameters get no decay (the usual recipe); all: every parameter decays.",
            DefaultValueFactory = _ => "exclude-bias-and-norm",
        };
        policy.AcceptOnlyFromAmong("exclude-bias-and-norm", "all");
        var l1Proximal = new Option<double>("--l1-proximal") { HelpName = "LAMBDA", Description = "λ of the proximal L1 step after each update, as occam train's (default: 0, off): the audit shows which parameters it soft-thresholds." };
        var maxNorm = new Option<double>("--max-norm") { HelpName = "C", Description = "A MaxNorm(C) constraint on every kernel, as occam train's (default: 0, off)." };
        var json = Cli.Json();
        var command = new Command("audit", """
            Decay audit: for every parameter of the model, its group, the weight decay λ that actually acts on it, and
            whether it is coupled (SGD, Adam: g ← g + λθ) or decoupled (AdamW: θ ← θ − lr·λ·θ).
            With --l1-proximal or --max-norm, also which parameters are soft-thresholded and which constrained.
            Example: occam audit --model cnn --optimizer adamw --weight-decay 0.05
                     occam audit --optimizer sgd --policy all --json
                     occam audit --l1-proximal 0.1 --max-norm 3
            """) { model, optimizer, weightDecay, policy, l1Proximal, maxNorm, json };
        Cli.SetAction(command, parse =>
        {
            double wd = parse.GetValue(weightDecay), l1 = parse.GetValue(l1Proximal), c = parse.GetValue(maxNorm);
            foreach (var (name, v) in new[] { ("--weight-decay", wd), ("--l1-proximal", l1), ("--max-norm", c) })
                if (!(v >= 0) || !double.IsFinite(v)) throw new ArgumentException($"{name} must be a non-negative number, got {v.ToString(CultureInfo.InvariantCulture)}");
            var constraint = c > 0 ? new Occam.Regularizers.MaxNorm(c) : null;
            var net = parse.GetValue(model) == "cnn"
                ? Architectures.Cnn(new Generator(1), batchNorm: true, kernelConstraint: constraint)
                : Architectures.Mlp(new Generator(1), batchNorm: true, kernelConstraint: constraint);
            var decayPolicy = parse.GetValue(policy) == "all" ? DecayPolicy.All : DecayPolicy.ExcludeBiasAndNorm;
            var groups = net.ParameterGroups(decayPolicy, wd);
            Optimizer opt = parse.GetValue(optimizer) switch
            {
                "adam" => new Adam(groups, weightDecay: wd, l1Proximal: l1),
                "nadam" => new NAdam(groups, weightDecay: wd, l1Proximal: l1),
                "radam" => new RAdam(groups, weightDecay: wd, l1Proximal: l1),
                "adamax" => new Adamax(groups, weightDecay: wd, l1Proximal: l1),
                "adagrad" => new Adagrad(groups, weightDecay: wd, l1Proximal: l1),
                "rmsprop" => new RMSprop(groups, weightDecay: wd, l1Proximal: l1),
                "sgd" => new SGD(groups, lr: 0.01, weightDecay: wd, l1Proximal: l1),
                _ => new AdamW(groups, weightDecay: wd, l1Proximal: l1),
            };
            var audit = DecayAudit.Of(opt, net);
            if (parse.GetValue(json)) Console.Out.WriteLine(Json(audit, parse.GetValue(model)!, parse.GetValue(policy)!, wd));
            else Print(audit, parse.GetValue(model)!, parse.GetValue(policy)!);
            return 0;
        });
        return command;
    }

    static string G(double v) => v.ToString("G4", CultureInfo.InvariantCulture);

    static string ShapeText(int[] shape) => Markup.Escape(Shape.Format(shape));

    static void Print(DecayAudit audit, string model, string policy)
    {
        var console = Cli.Terminal();
        console.MarkupLine($"[bold]{model}[/] under [bold]{audit.Optimizer}[/], policy [bold]{policy}[/]");
        bool extras = audit.Rows.Any(r => r.Regularizer != null || r.Constraint != null), proximal = audit.Rows.Any(r => r.L1Proximal > 0);
        var table = new Table().AddColumn("parameter").AddColumn("shape").AddColumn("group")
            .AddColumn(new TableColumn("decay").RightAligned()).AddColumn("mode").AddColumn("trainable");
        if (extras) table.AddColumn("regularizer").AddColumn("constraint");
        if (proximal) table.AddColumn(new TableColumn("proximal L1").RightAligned());
        foreach (var r in audit.Rows)
        {
            var cells = new List<string>
            {
                Markup.Escape(r.Name), ShapeText(r.Shape), Markup.Escape(r.Group ?? "(not in optimizer)"),
                r.Decay > 0 ? G(r.Decay) : "[dim]0[/]", r.Coupling == DecayCoupling.Coupled ? "coupled" : "decoupled",
                r.Trainable ? "yes" : "frozen",
            };
            if (extras) cells.AddRange([Markup.Escape(r.Regularizer ?? "-"), Markup.Escape(r.Constraint ?? "-")]);
            if (proximal) cells.Add(r.L1Proximal > 0 ? G(r.L1Proximal) : "[dim]0[/]");
            table.AddRow(cells.ToArray());
        }
        console.Write(table);
        long total = audit.Rows.Sum(r => (long)Shape.Size(r.Shape));
        console.WriteLine($"{audit.Optimizer}: {audit.DecayedElements} of {total} parameter elements decayed");
    }

    static readonly JsonSerializerOptions JsonOptions = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    static string Json(DecayAudit audit, string model, string policy, double weightDecay) => JsonSerializer.Serialize(new Dictionary<string, object>
    {
        ["model"] = model,
        ["optimizer"] = audit.Optimizer,
        ["policy"] = policy,
        ["weight_decay"] = weightDecay,
        ["decayed_elements"] = audit.DecayedElements,
        ["total_elements"] = audit.Rows.Sum(r => (long)Shape.Size(r.Shape)),
        ["parameters"] = audit.Rows.Select(r => new Dictionary<string, object?>
        {
            ["name"] = r.Name, ["shape"] = r.Shape, ["group"] = r.Group, ["decay"] = r.Decay,
            ["coupling"] = r.Coupling == DecayCoupling.Coupled ? "coupled" : "decoupled", ["trainable"] = r.Trainable,
            ["regularizer"] = r.Regularizer, ["constraint"] = r.Constraint, ["l1_proximal"] = r.L1Proximal,
        }).ToList(),
    }, JsonOptions);
}
