namespace Occam.NN;

/// <summary>
/// Monte Carlo dropout (Gal &amp; Ghahramani 2016): at inference, keep the dropout family sampling while
/// normalization and everything else stay in evaluation mode, and read the spread of many stochastic
/// predictions as the model's uncertainty.
/// </summary>
public static class McDropout
{
    /// <summary>Evaluation mode for the whole model except its stochastic regularizers, which stay in
    /// training mode (so they keep sampling). Call <c>model.Eval()</c> to end it.</summary>
    public static Module EnableMcDropout(this Module model)
    {
        ArgumentNullException.ThrowIfNull(model);
        model.Eval();
        foreach (var (_, m) in model.NamedModules())
            if (m is IStochasticRegularizer) m.Train();
        return model;
    }

    /// <summary>Mean and standard deviation (unbiased, over samples) of <paramref name="samples"/> stochastic
    /// forward passes with MC dropout enabled; every module's mode is restored afterwards.</summary>
    public static (Tensor Mean, Tensor Std) Predict(Module model, Tensor input, int samples = 30)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(input);
        if (samples < 2) throw new ArgumentException($"McDropout.Predict: samples must be at least 2, got {samples}");
        var modes = model.NamedModules().Select(m => (m.Module, m.Module.IsTraining)).ToList();
        try
        {
            model.EnableMcDropout();
            using var _ = Autograd.NoGrad();
            var draws = new Tensor[samples];
            for (int s = 0; s < samples; s++) draws[s] = model.Forward(input).Unsqueeze(0);
            var stack = Tensor.Cat(draws, 0);
            return (stack.Mean(0), stack.Var([0]).Sqrt());
        }
        finally
        {
            foreach (var (module, training) in modes) module.SetModeOnly(training);
        }
    }
}
