namespace Occam.Training;

/// <summary>Classification metrics on logits [N, C] against class-index targets [N] or soft targets [N, C].</summary>
public static class Metrics
{
    /// <summary>Number of rows whose true class is among the <paramref name="k"/> largest logits
    /// (k = 1: plain accuracy; the true class of a soft target [N, C] is its argmax). Among equal logits the lower class
    /// ranks first, as argmax picks it (scikit-learn's top_k_accuracy_score ranks the higher first). Rows whose class-index target is
    /// <paramref name="ignoreIndex"/> (as a loss's ignoreIndex) are skipped: <see cref="Scored"/> counts the rest. A row
    /// with a NaN logit is never counted correct.</summary>
    public static int CorrectTopK(Tensor logits, Tensor targets, int k = 1, int? ignoreIndex = null)
    {
        ArgumentNullException.ThrowIfNull(logits);
        ArgumentNullException.ThrowIfNull(targets);
        if (logits.Rank != 2) throw new ArgumentException($"Metrics: logits must be [N, C], got {Shape.Format(logits.Shape)}");
        int n = logits.Dim(0), c = logits.Dim(1);
        if (k < 1 || k > c) throw new ArgumentException($"Metrics: k must be in [1, {c}], got {k}");
        bool soft = targets.Rank == 2;
        if (soft && targets.Dim(1) != c)
            throw new ArgumentException($"Metrics: soft targets must be [N, C] = [{n}, {c}] like the logits, got {Shape.Format(targets.Shape)}; class indices are [N]");
        if (targets.Rank > 2) throw new ArgumentException($"Metrics: targets must be class indices [N] or soft targets [N, C], got {Shape.Format(targets.Shape)}");
        var truth = soft ? targets.Argmax(1).ToArray() : targets.ToArray();
        if (truth.Length != n) throw new ArgumentException($"Metrics: {n} predictions but {truth.Length} targets");
        var scores = logits.ToArray();
        int correct = 0;
        for (int i = 0; i < n; i++)
        {
            if (!soft && truth[i] == ignoreIndex) continue;
            int t = (int)truth[i];
            if (!(truth[i] >= 0 && truth[i] < c) || truth[i] != t)
                throw new ArgumentException($"Metrics: target {truth[i]} of row {i} is not a class index in [0, {c})" +
                    (ignoreIndex == null ? "" : $" nor the ignored index {ignoreIndex}"));
            float score = scores[i * c + t];
            int above = 0;
            bool nan = false;
            for (int j = 0; j < c; j++)
            {
                float s = scores[i * c + j];
                nan |= float.IsNaN(s);
                if (s > score || (s == score && j < t)) above++;
            }
            if (above < k && !nan) correct++; // a row with a NaN logit is never right
        }
        return correct;
    }

    /// <summary>Adds each row's (true class, predicted class) to <paramref name="counts"/> [C, C]: the row of the true
    /// class, the column of the largest logit (the lower class among equal ones, as argmax). Class-index targets [N] or
    /// soft targets [N, C] (their argmax); rows whose target is <paramref name="ignoreIndex"/> are skipped. Accumulate
    /// batch by batch; <see cref="ClassAccuracy"/> reads per-class accuracy (recall) off the diagonal.</summary>
    public static void ConfusionMatrix(Tensor logits, Tensor targets, long[,] counts, int? ignoreIndex = null)
    {
        ArgumentNullException.ThrowIfNull(logits);
        ArgumentNullException.ThrowIfNull(targets);
        ArgumentNullException.ThrowIfNull(counts);
        if (logits.Rank != 2) throw new ArgumentException($"Metrics: logits must be [N, C], got {Shape.Format(logits.Shape)}");
        int n = logits.Dim(0), c = logits.Dim(1);
        if (counts.GetLength(0) != c || counts.GetLength(1) != c)
            throw new ArgumentException($"Metrics: the confusion matrix must be [{c}, {c}] for {c} classes, got [{counts.GetLength(0)}, {counts.GetLength(1)}]");
        bool soft = targets.Rank == 2;
        var truth = soft ? targets.Argmax(1).ToArray() : targets.ToArray();
        if (truth.Length != n) throw new ArgumentException($"Metrics: {n} predictions but {truth.Length} targets");
        var predicted = logits.Argmax(1).ToArray();
        for (int i = 0; i < n; i++)
        {
            if (!soft && truth[i] == ignoreIndex) continue;
            int t = (int)truth[i];
            if (!(truth[i] >= 0 && truth[i] < c) || truth[i] != t)
                throw new ArgumentException($"Metrics: target {truth[i]} of row {i} is not a class index in [0, {c})");
            counts[t, (int)predicted[i]]++;
        }
    }

    /// <summary>Per class, the fraction of its examples predicted as it (recall): the diagonal of
    /// <paramref name="counts"/> over its rows' sums; NaN for a class with no examples.</summary>
    public static double[] ClassAccuracy(long[,] counts)
    {
        ArgumentNullException.ThrowIfNull(counts);
        int c = counts.GetLength(0);
        var accuracy = new double[c];
        for (int t = 0; t < c; t++)
        {
            long total = 0;
            for (int p = 0; p < counts.GetLength(1); p++) total += counts[t, p];
            accuracy[t] = total == 0 ? double.NaN : counts[t, t] / (double)total;
        }
        return accuracy;
    }

    /// <summary>The rows <see cref="CorrectTopK"/> scores: all but those whose class-index target is
    /// <paramref name="ignoreIndex"/>.</summary>
    public static int Scored(Tensor targets, int? ignoreIndex = null)
    {
        if (targets.Rank == 0) return 1;
        int n = targets.Dim(0);
        if (targets.Rank != 1 || ignoreIndex == null) return n;
        int ignored = 0;
        foreach (float t in targets.Span) if (t == ignoreIndex) ignored++;
        return n - ignored;
    }
}
