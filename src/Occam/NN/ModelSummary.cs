using System.Globalization;
using System.Text;

namespace Occam.NN;

/// <summary>
/// Keras's <c>model.summary()</c>: a table of a model's layers (its direct children) with each one's output shape for
/// one example and its parameter count, then the totals, trainable and frozen. The shapes come from running one
/// example of <c>[1, ..inputShape]</c> zeros through the model in evaluation mode without gradients; the model's mode
/// is restored after. A <see cref="Sequential"/>'s layers each get their own output shape; any other module's children
/// are listed with their parameters and the model's output shape closes the table.
/// </summary>
public static class ModelSummary
{
    public static string Of(Module model, params int[] inputShape)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(inputShape);
        if (inputShape.Any(d => d < 1))
            throw new ArgumentException($"ModelSummary: the input shape of one example must be positive, got {Shape.Format(inputShape)}");
        var rows = new List<(string Layer, string Output, long Parameters)>();
        bool training = model.IsTraining;
        model.Eval();
        try
        {
            using var _ = Autograd.NoGrad();
            var x = Tensor.Zeros([1, .. inputShape]);
            if (model is Sequential sequential)
                foreach (var (name, layer) in sequential.NamedChildren())
                {
                    x = Run(layer, x, name);
                    rows.Add(($"{name} ({layer.GetType().Name})", Shape.Format(x.ShapeRef), layer.ParameterCount()));
                }
            else
            {
                foreach (var (name, child) in model.NamedChildren())
                    rows.Add(($"{name} ({child.GetType().Name})", "", child.ParameterCount()));
                long own = model.ParameterCount() - rows.Sum(r => r.Parameters);
                if (own > 0) rows.Add(("(its own parameters)", "", own));
                x = Run(model, x, model.GetType().Name);
                rows.Add(("= output", Shape.Format(x.ShapeRef), 0));
            }
        }
        finally
        {
            model.Train(training);
        }

        long total = model.ParameterCount(), trainable = model.ParameterCount(trainableOnly: true);
        int w1 = Math.Max("Layer (type)".Length, rows.Max(r => r.Layer.Length)), w2 = Math.Max("Output shape".Length, rows.Max(r => r.Output.Length));
        string Count(long n) => n.ToString("N0", CultureInfo.InvariantCulture);
        var sb = new StringBuilder();
        sb.AppendLine($"{model.GetType().Name} on input {Shape.Format([1, .. inputShape])}");
        sb.AppendLine($"{"Layer (type)".PadRight(w1)}  {"Output shape".PadRight(w2)}  {"Param #",12}");
        sb.AppendLine(new string('─', w1 + w2 + 16));
        foreach (var (layer, output, parameters) in rows)
            sb.AppendLine($"{layer.PadRight(w1)}  {output.PadRight(w2)}  {(layer == "= output" ? "" : Count(parameters)),12}");
        sb.AppendLine(new string('─', w1 + w2 + 16));
        sb.AppendLine($"Total params: {Count(total)} (trainable {Count(trainable)}, frozen {Count(total - trainable)})");
        long buffers = model.NamedBuffers().Sum(b => (long)b.Buffer.Size);
        if (buffers > 0) sb.AppendLine($"Buffers: {Count(buffers)} (running statistics and other state, not trained)");
        return sb.ToString();
    }

    static Tensor Run(Module layer, Tensor x, string name)
    {
        try { return layer.Forward(x); }
        catch (ArgumentException e)
        {
            throw new ArgumentException($"ModelSummary: layer {name} ({layer.GetType().Name}) cannot take an input of shape {Shape.Format(x.ShapeRef)}: {e.Message}", e);
        }
    }
}
