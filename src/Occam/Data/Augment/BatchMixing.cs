namespace Occam.Data.Augment;

/// <summary>What MixUp and CutMix share (torchvision's _BaseMixUpCutMix): validation, soft targets, and the label
/// mix λ·t + (1 − λ)·roll(t, 1) where roll(t, 1)[i] = t[i − 1 mod N].</summary>
internal static class BatchMixing
{
    public static void CheckArguments(float alpha, int numClasses, string op)
    {
        if (!(alpha > 0) || float.IsInfinity(alpha))
            throw new ArgumentOutOfRangeException(nameof(alpha), alpha, $"{op}: alpha must be positive and finite, got {alpha}");
        if (numClasses < 1)
            throw new ArgumentOutOfRangeException(nameof(numClasses), numClasses, $"{op}: numClasses must be positive, got {numClasses}");
    }

    /// <summary>The batch size and input shape, after checking the targets against them.</summary>
    public static (int N, int[] Shape) Check(Batch batch, int numClasses, string op)
    {
        if (batch.Inputs is null || batch.Targets is null)
            throw new ArgumentException($"{op}: the batch has no {(batch.Inputs is null ? "inputs" : "targets")} (an empty default Batch?)");
        var shape = batch.Inputs.Shape;
        if (shape.Length < 1 || shape[0] < 1)
            throw new ArgumentException($"{op}: inputs need a non-empty batch dimension, got shape {Shape.Format(shape)}");
        int n = shape[0];
        var t = batch.Targets.ShapeRef;
        bool indices = t.Length == 1 && t[0] == n;
        bool soft = t.Length == 2 && t[0] == n && t[1] == numClasses;
        if (!indices && !soft)
            throw new ArgumentException($"{op}: targets must be [{n}] class indices or [{n}, {numClasses}] probabilities, got shape {Shape.Format(t)}");
        return (n, shape);
    }

    /// <summary>[N, C] soft targets mixed with their roll by one: λ·t[i] + (1 − λ)·t[i − 1].</summary>
    public static Tensor MixTargets(Tensor targets, int numClasses, double lambda, string op)
    {
        float[] t;
        if (targets.Rank == 1)
        {
            var idx = targets.Span;
            t = new float[idx.Length * numClasses];
            for (int i = 0; i < idx.Length; i++)
            {
                float v = idx[i];
                if (v != MathF.Floor(v) || v < 0 || v >= numClasses)
                    throw new ArgumentException($"{op}: class index {v} is not an integer in [0, {numClasses})");
                t[i * numClasses + (int)v] = 1;
            }
        }
        else
        {
            t = targets.ToArray();
            // A negative or non-finite probability would be blended into its neighbour's target and poison its loss too.
            for (int k = 0; k < t.Length; k++)
                if (!(t[k] >= 0) || float.IsPositiveInfinity(t[k]))
                    throw new ArgumentException($"{op}: soft targets must be finite and non-negative, got {t[k]} in row {k / numClasses}, class {k % numClasses}");
        }
        int n = t.Length / numClasses;
        var result = new float[t.Length];
        for (int i = 0; i < n; i++)
        {
            int prev = (i + n - 1) % n;
            for (int c = 0; c < numClasses; c++)
                result[i * numClasses + c] = (float)(lambda * t[i * numClasses + c] + (1 - lambda) * t[prev * numClasses + c]);
        }
        return new Tensor(result, [n, numClasses]);
    }
}
