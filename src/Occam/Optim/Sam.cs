using System.Numerics.Tensors;
using Occam.NN;

namespace Occam.Optim;

/// <summary>
/// Sharpness-aware minimization (SAM; Foret et al. 2021) around any optimizer: it looks for weights whose whole
/// neighbourhood has a low loss, not just a low point, which generalizes better. One step takes two gradients:
/// <list type="number">
/// <item>the usual backward at θ gives g; <see cref="FirstStep"/> moves every parameter to the nearby point where the
/// loss rises fastest, θ + e with e = ρ·g/‖g‖ (‖·‖ over all parameters together), and zeroes the gradients;</item>
/// <item>a second forward and backward at θ + e gives g'; <see cref="SecondStep"/> puts θ back exactly and lets the
/// base optimizer step with g' (its momentum, weight decay, proximal L1 and constraints as usual).</item>
/// </list>
/// Adaptive SAM (ASAM; Kwon et al. 2021) scales the neighbourhood by each weight, e = ρ·θ²·g/‖θ·g‖, so it does not
/// depend on how the weights are scaled; it takes a larger ρ (about 10× SAM's). The rule is that of the reference
/// PyTorch implementation (davda54/sam): ‖g‖ + 1e-12 in the denominator; parameters without a gradient stay put.
/// With <see cref="Optimizer.Maximize"/> the neighbourhood's worst point is where the objective falls fastest.
/// <c>Trainer(…, sam: new Sam(optimizer, rho: 0.05))</c> runs both passes and keeps batch-norm running statistics
/// from the first; in a loop of your own: <c>loss.Backward(); sam.FirstStep(); lossAt(θ + e).Backward(); sam.SecondStep();</c>.
/// </summary>
public sealed class Sam
{
    public Sam(Optimizer optimizer, double rho = 0.05, bool adaptive = false)
    {
        Optimizer = optimizer ?? throw new ArgumentNullException(nameof(optimizer));
        if (!(rho > 0 && double.IsFinite(rho))) throw new ArgumentException($"Sam: rho must be positive and finite, got {rho}");
        Rho = rho;
        Adaptive = adaptive;
    }

    /// <summary>The optimizer that takes the actual step, with the gradient at the perturbed weights.</summary>
    public Optimizer Optimizer { get; }

    /// <summary>Radius of the neighbourhood (SAM: 0.05 is the paper's default; ASAM: about 0.5–2).</summary>
    public double Rho { get; }

    /// <summary>ASAM: the neighbourhood scaled by each weight's magnitude.</summary>
    public bool Adaptive { get; }

    // θ before FirstStep, per moved parameter; the arrays are kept and reused from step to step.
    readonly Dictionary<Parameter, float[]> _saved = new(ReferenceEqualityComparer.Instance);
    readonly List<Parameter> _moved = [];
    bool _perturbed;

    /// <summary>Moves the parameters to θ + e using the gradients now held (from a backward at θ), then zeroes the
    /// gradients for the backward at θ + e. Returns ‖g‖ (ASAM: ‖θ·g‖), the norm e was scaled by.</summary>
    public double FirstStep()
    {
        if (_perturbed) throw new InvalidOperationException("Sam.FirstStep: the weights are already perturbed; call SecondStep first");
        _moved.Clear();
        double sum = 0;
        foreach (var group in Optimizer.Groups)
            foreach (var p in group.Parameters)
            {
                if (!p.RequiresGrad || p.Grad is not { } grad) continue;
                _moved.Add(p);
                sum += Adaptive ? WeightedSumOfSquares(p.Span, grad.Span) : TensorPrimitives.SumOfSquares<float>(grad.Span);
            }
        double norm = Math.Sqrt(sum); // a diverged loss's NaN passes through to the step, as without SAM
        float scale = (float)((Optimizer.Maximize ? -Rho : Rho) / (norm + 1e-12));
        foreach (var p in _moved)
        {
            var theta = p.Span;
            if (!_saved.TryGetValue(p, out var copy) || copy.Length != theta.Length) _saved[p] = copy = new float[theta.Length];
            theta.CopyTo(copy);
            var g = p.Grad!.Span;
            if (Adaptive)
                for (int i = 0; i < theta.Length; i++) theta[i] += copy[i] * copy[i] * g[i] * scale;
            else TensorPrimitives.MultiplyAdd(g, scale, theta, theta);
            p.Storage.Version++;
        }
        _perturbed = true;
        Optimizer.ZeroGrad();
        return norm;
    }

    /// <summary>Restores the weights FirstStep moved and steps the base optimizer with the gradients now held (from
    /// the backward at θ + e).</summary>
    public void SecondStep()
    {
        if (!_perturbed) throw new InvalidOperationException("Sam.SecondStep: FirstStep has not perturbed the weights");
        Restore();
        Optimizer.Step();
    }

    /// <summary>Puts back the weights FirstStep moved, without a step (after a second pass that failed).</summary>
    public void Restore()
    {
        if (!_perturbed) return;
        foreach (var p in _moved)
        {
            _saved[p].CopyTo(p.Span);
            p.Storage.Version++;
        }
        _perturbed = false;
    }

    /// <summary>One whole SAM step after the caller's backward at θ: <see cref="FirstStep"/>, then
    /// <paramref name="lossAtPerturbed"/> (a forward and loss at θ + e, which this method differentiates), then
    /// <see cref="SecondStep"/>. Returns that second loss.</summary>
    public double Step(Func<Tensor> lossAtPerturbed)
    {
        ArgumentNullException.ThrowIfNull(lossAtPerturbed);
        FirstStep();
        double value;
        try
        {
            var loss = lossAtPerturbed();
            value = loss.Item();
            loss.Backward();
        }
        catch
        {
            Restore(); // the weights as they were, and no step
            throw;
        }
        SecondStep();
        return value;
    }

    static double WeightedSumOfSquares(ReadOnlySpan<float> theta, ReadOnlySpan<float> g)
    {
        double sum = 0;
        for (int i = 0; i < theta.Length; i++)
        {
            double v = theta[i] * g[i];
            sum += v * v;
        }
        return sum;
    }
}
