namespace Occam.Training;

/// <summary>Classification metrics on logits [N, C] against class-index targets [N] or soft targets [N, C].</summary>
public static class Metrics
{
    /// <summary>Number of rows whose true class is among the <paramref name="k"/> largest logits
    /// (k = 1: plain accuracy; the true class of a soft target is its argmax).</summary>
    public static int CorrectTopK(Tensor logits, Tensor targets, int k = 1)
    {
        if (logits.Rank != 2) throw new ArgumentException($"Metrics: logits must be [N, C], got {Shape.Format(logits.Shape)}");
        int n = logits.Dim(0), c = logits.Dim(1);
        if (k < 1 || k > c) throw new ArgumentException($"Metrics: k must be in [1, {c}], got {k}");
        var truth = targets.Rank == 2 ? targets.Argmax(1).ToArray() : targets.ToArray();
        if (truth.Length != n) throw new ArgumentException($"Metrics: {n} predictions but {truth.Length} targets");
        var scores = logits.ToArray();
        int correct = 0;
        for (int i = 0; i < n; i++)
        {
            int t = (int)truth[i];
            float score = scores[i * c + t];
            int above = 0;
            for (int j = 0; j < c; j++)
            {
                float s = scores[i * c + j];
                if (s > score || (s == score && j < t)) above++;
            }
            if (above < k) correct++;
        }
        return correct;
    }
}
