using Occam.NN;

namespace Occam.Optim;

/// <summary>
/// Parameters that share hyperparameters (torch.optim param groups). Any setting left null takes the
/// optimizer's default when the optimizer is built; schedulers then change <see cref="Lr"/> in place.
/// </summary>
public sealed class ParameterGroup
{
    public ParameterGroup(IEnumerable<Parameter> parameters, string name = "", double? lr = null, double? weightDecay = null,
        double? momentum = null, (double Beta1, double Beta2)? betas = null, double? l1Proximal = null)
    {
        L1Proximal = l1Proximal;
        ArgumentNullException.ThrowIfNull(parameters);
        Parameters = parameters.ToList();
        if (Parameters.Any(p => p == null)) throw new ArgumentException($"ParameterGroup '{name}': a parameter is null");
        Name = name;
        Lr = lr;
        WeightDecay = weightDecay;
        Momentum = momentum;
        Betas = betas;
    }

    public IReadOnlyList<Parameter> Parameters { get; }
    public string Name { get; }

    /// <summary>Learning rate; set by the optimizer's default when null, and by schedulers.</summary>
    public double? Lr { get; set; }

    /// <summary>The learning rate schedulers scale from (PyTorch's initial_lr): the group's lr when the first scheduler
    /// of its optimizer was built (or as loaded with the optimizer's state); until then, the current lr.</summary>
    public double InitialLr { get => _initialLr ?? LrValue; internal set => _initialLr = value; }

    double? _initialLr;

    /// <summary>Fixes <see cref="InitialLr"/> at the current lr unless a scheduler or a loaded state already has
    /// (torch's group.setdefault('initial_lr', group['lr'])).</summary>
    internal void PinInitialLr() => _initialLr ??= LrValue;

    public double? WeightDecay { get; set; }
    public double? Momentum { get; set; }

    /// <summary>λ of the proximal L1 step after each update of this group's parameters (0 = off); the optimizer's
    /// l1Proximal when null.</summary>
    public double? L1Proximal { get; set; }
    public (double Beta1, double Beta2)? Betas { get; set; }

    /// <summary>Resolved learning rate.</summary>
    internal double LrValue => Lr ?? throw new InvalidOperationException($"ParameterGroup '{Name}': learning rate not set");
}
