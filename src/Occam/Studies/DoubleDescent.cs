using System.Numerics.Tensors;
using Occam.Data;
using Occam.Losses;
using Occam.Optim;
using Occam.Training;

namespace Occam.Studies;

/// <summary>One model size: its width (random features or hidden units), parameter count, and train/test
/// misclassification rate and mean squared error against one-hot targets (MSE is NaN for the MLP, trained with
/// cross-entropy).</summary>
public sealed record DoubleDescentPoint(int Features, long Parameters, double TrainError, double TestError, double TrainMse, double TestMse);

/// <summary>A double-descent curve: the points and the interpolation threshold: n training examples (random features:
/// p = n features), and the parameter count n·classes at which the model can first fit every label.</summary>
public sealed record DoubleDescentResult(string Mode, int TrainSize, int TestSize, long ThresholdParameters, IReadOnlyList<DoubleDescentPoint> Points);

/// <summary>
/// Test error against model size across the interpolation threshold (Belkin, Hsu, Ma &amp; Mandal 2019, "Reconciling
/// modern machine-learning practice and the classical bias–variance trade-off"). <see cref="RandomFeatures"/>: ReLU
/// random features φ(x) = max(0, Wx), W ~ N(0, 1/d), fitted to one-hot targets by minimum-norm least squares — the
/// error peaks where the number of features p equals the number of training examples n and falls again beyond it.
/// <see cref="Mlp"/>: hidden-width sweep of a one-hidden-layer MLP on labels with added noise, trained to (near)
/// zero training error (Nakkiran et al. 2019, "Deep double descent").
/// </summary>
public static class DoubleDescent
{
    const int Classes = 10;

    /// <summary>Feature counts from <paramref name="min"/> to <paramref name="maxFactor"/>·n on a log grid of
    /// <paramref name="logPoints"/> points, plus dense points at 0.8…1.25 n around the threshold.</summary>
    public static int[] FeatureGrid(int trainSize, int min = 50, double maxFactor = 10, int logPoints = 12)
    {
        if (trainSize < 2) throw new ArgumentException($"DoubleDescent.FeatureGrid: trainSize must be at least 2, got {trainSize}");
        if (logPoints < 2) throw new ArgumentException($"DoubleDescent.FeatureGrid: logPoints must be at least 2, got {logPoints}");
        if (!(maxFactor > 1)) throw new ArgumentException($"DoubleDescent.FeatureGrid: maxFactor must be above 1 (the grid crosses p = n), got {maxFactor}");
        if (min < 1) throw new ArgumentException($"DoubleDescent.FeatureGrid: min must be at least 1, got {min}");
        min = Math.Clamp(min, 1, trainSize);
        double max = Math.Max(min + 1, maxFactor * trainSize);
        var grid = Enumerable.Range(0, logPoints).Select(i => min * Math.Pow(max / min, i / (double)(logPoints - 1)))
            .Concat(new[] { 0.8, 0.9, 0.95, 1.0, 1.05, 1.1, 1.25 }.Select(f => f * trainSize));
        return grid.Select(v => (int)Math.Round(v)).Where(v => v >= 1).Distinct().Order().ToArray();
    }

    /// <summary>
    /// The minimum-norm least-squares solution β [p, k] of Φβ ≈ Y (Φ [n, p], Y [n, k]) with a tiny ridge for stability:
    /// for p ≥ n, β = Φᵀ(ΦΦᵀ + λI)⁻¹Y; for p &lt; n, β = (ΦᵀΦ + λI)⁻¹ΦᵀY; the solve is a Cholesky factorization in
    /// double. Near the threshold (n/2 ≤ p ≤ 2n), where Φ is worst conditioned (condition numbers of 10⁴–10⁵, so 10⁹ for
    /// the Gram matrix), the smaller Gram matrix is accumulated in double and λ starts at 1e-12·trace(G)/size; elsewhere
    /// it comes from the engine's float SGEMM and λ starts at 1e-8·trace(G)/size. <paramref name="ridge"/>, when given,
    /// replaces that factor. λ is raised tenfold while the factorization fails (a float Gram matrix can be indefinite by
    /// rounding); the λ used is returned.
    /// </summary>
    public static (Tensor Beta, double Lambda) MinNormLeastSquares(Tensor phi, Tensor targets, double? ridge = null)
    {
        ArgumentNullException.ThrowIfNull(phi);
        ArgumentNullException.ThrowIfNull(targets);
        if (phi.Rank != 2 || targets.Rank != 2 || targets.Dim(0) != phi.Dim(0))
            throw new ArgumentException($"DoubleDescent.MinNormLeastSquares: needs Φ [n, p] and Y [n, k], got {Shape.Format(phi.ShapeRef)} and {Shape.Format(targets.ShapeRef)}");
        if (ridge is double r && !(r >= 0)) throw new ArgumentException($"DoubleDescent.MinNormLeastSquares: ridge must be non-negative, got {r}");
        using var _ = Autograd.NoGrad();
        int n = phi.Dim(0), p = phi.Dim(1);
        bool exact = 2L * p >= n && p <= 2L * n;
        double factor = ridge ?? (exact ? 1e-12 : 1e-8);
        int k = targets.Dim(1);
        if (!exact)
        {
            if (p >= n)
            {
                var (alpha, lambda) = SolveGram(ToDouble(Functional.Linear(phi, phi)), n, ToDouble(targets), k, factor);  // ΦΦᵀ
                return (phi.Transpose(0, 1).MatMul(ToTensor(alpha, n, k)), lambda);
            }
            var phiT = phi.Transpose(0, 1);
            var (beta, lambda2) = SolveGram(ToDouble(Functional.Linear(phiT, phiT)), p, ToDouble(phiT.MatMul(targets)), k, factor);  // ΦᵀΦ
            return (ToTensor(beta, p, k), lambda2);
        }
        // Near the threshold everything stays in double until β: its entries are large (‖β‖ ~ ‖Y‖/σ_min), and a float
        // α or ΦᵀY would lose the interpolation that the double solve gains.
        var x = ToDouble(phi);
        var y = ToDouble(targets);
        if (p >= n)
        {
            var (alpha, lambda) = SolveGram(Gram(x, n, p, rows: true), n, y, k, factor);  // ΦΦᵀ
            return (ToTensor(TransposeTimes(x, n, p, alpha, k), p, k), lambda);            // Φᵀα
        }
        var (b2, lambda3) = SolveGram(Gram(x, n, p, rows: false), p, TransposeTimes(x, n, p, y, k), k, factor);  // ΦᵀΦ, ΦᵀY
        return (ToTensor(b2, p, k), lambda3);
    }

    // The Gram matrix of X [n, p] in double: X·Xᵀ [n, n] (rows) or Xᵀ·X [p, p]; every product and sum in double (a
    // float product is exact in double).
    static double[] Gram(double[] x, int n, int p, bool rows)
    {
        int m = rows ? n : p, d = rows ? p : n;
        var a = rows ? x : Transposed(x, n, p);
        var g = new double[m * m];
        for (int i = 0; i < m; i++)
        {
            var ai = a.AsSpan(i * d, d);
            for (int j = 0; j <= i; j++) g[i * m + j] = g[j * m + i] = TensorPrimitives.Dot<double>(ai, a.AsSpan(j * d, d));
        }
        return g;
    }

    static double[] Transposed(double[] x, int n, int p)
    {
        var t = new double[x.Length];
        for (int i = 0; i < n; i++)
            for (int j = 0; j < p; j++) t[j * n + i] = x[i * p + j];
        return t;
    }

    // Xᵀ·B [p, k] for X [n, p] and B [n, k], in double.
    static double[] TransposeTimes(double[] x, int n, int p, double[] b, int k)
    {
        var r = new double[p * k];
        for (int i = 0; i < n; i++)
            for (int j = 0; j < p; j++)
            {
                double v = x[i * p + j];
                for (int c = 0; c < k; c++) r[j * k + c] += v * b[i * k + c];
            }
        return r;
    }

    static Tensor ToTensor(double[] values, int rows, int cols) => Tensor.FromArray(values.Select(v => (float)v).ToArray(), rows, cols);

    // (G + λI)⁻¹·B for a symmetric positive semi-definite G [m, m] and B [m, k]: Cholesky in double.
    static (double[] X, double Lambda) SolveGram(double[] g, int m, double[] b, int k, double ridge)
    {
        double trace = 0;
        for (int i = 0; i < m; i++) trace += g[i * m + i];
        double lambda = ridge * Math.Max(trace / m, double.Epsilon);
        var l = new double[m * m];
        while (!Cholesky(g, l, m, lambda))
        {
            lambda = lambda == 0 ? 1e-12 * Math.Max(trace / m, double.Epsilon) : lambda * 10;
            if (!double.IsFinite(lambda) || lambda > trace) throw new InvalidOperationException("DoubleDescent: the Gram matrix could not be factorized (it holds non-finite values)");
        }
        var x = (double[])b.Clone();
        for (int c = 0; c < k; c++)
        {
            for (int i = 0; i < m; i++)  // L·z = b
            {
                double s = x[i * k + c];
                for (int j = 0; j < i; j++) s -= l[i * m + j] * x[j * k + c];
                x[i * k + c] = s / l[i * m + i];
            }
            for (int i = m - 1; i >= 0; i--)  // Lᵀ·x = z
            {
                double s = x[i * k + c];
                for (int j = i + 1; j < m; j++) s -= l[j * m + i] * x[j * k + c];
                x[i * k + c] = s / l[i * m + i];
            }
        }
        return (x, lambda);
    }

    // Row-oriented Cholesky G + λI = L·Lᵀ (lower triangle of g read); false when a pivot is not positive.
    static bool Cholesky(double[] g, double[] l, int m, double lambda)
    {
        for (int i = 0; i < m; i++)
        {
            var li = l.AsSpan(i * m, m);
            for (int j = 0; j <= i; j++)
            {
                var lj = l.AsSpan(j * m, j);
                double s = g[i * m + j] + (i == j ? lambda : 0) - TensorPrimitives.Dot<double>(li[..j], lj);
                if (i == j)
                {
                    if (!(s > 0) || !double.IsFinite(s)) return false;
                    li[i] = Math.Sqrt(s);
                }
                else li[j] = s / l[j * m + j];
            }
        }
        return true;
    }

    static double[] ToDouble(Tensor t)
    {
        var span = t.Span;
        var result = new double[span.Length];
        for (int i = 0; i < span.Length; i++) result[i] = span[i];
        return result;
    }

    /// <summary>The random-features curve on <paramref name="trainSize"/> examples of the embedded Fashion-MNIST
    /// training subset (stratified draw), tested on <paramref name="testSize"/> examples of its test subset. Inputs are
    /// pixels / 255 centred on the training mean; feature counts default to <see cref="FeatureGrid"/>; the features
    /// of a smaller model are the first columns of a larger one's, so the curve varies only in size.</summary>
    public static DoubleDescentResult RandomFeatures(int trainSize = 1000, int testSize = 2000, int[]? features = null, int seed = 1,
        double? ridge = null, Action<DoubleDescentPoint>? progress = null)
    {
        CheckSizes(trainSize, testSize);
        features ??= FeatureGrid(trainSize);
        if (features.Length == 0 || features.Any(f => f < 1)) throw new ArgumentException($"DoubleDescent: feature counts must be positive, got [{string.Join(", ", features)}]");
        using var _ = Autograd.NoGrad();
        var g = new Generator((ulong)seed);
        var (xTrain, yTrain) = Draw(trainSize, train: true, g);
        var (xTest, yTest) = Draw(testSize, train: false, g);
        var mean = xTrain.Mean(0, keepDim: true);
        xTrain -= mean;
        xTest -= mean;
        int d = xTrain.Dim(1), pMax = features.Max();
        var w = Tensor.RandN([pMax, d], g, std: 1f / MathF.Sqrt(d));
        var phiTrainAll = Functional.Linear(xTrain, w).Relu();
        var phiTestAll = Functional.Linear(xTest, w).Relu();
        var targets = Tensor.OneHot(yTrain, Classes);
        // The sizes side by side, one per thread, each with every kernel on its own thread (a size's fit depends on
        // nothing the others write, and its products give the same bits on one thread as split). Each fit's products
        // (Gram matrices of at most n²) gained little from a second core and its Cholesky solve is one thread's work:
        // `occam double-descent` at 2 threads took 4.2–5.7 s instead of 5.4–7.0 (three runs each, alternating), with
        // the same metrics.
        var points = new DoubleDescentPoint?[features.Length];
        int reported = 0;
        var gate = new Lock();
        Threads.For(features.Length, i =>
        {
            int p = features[i];
            var phiTrain = Columns(phiTrainAll, p);
            var (beta, _) = MinNormLeastSquares(phiTrain, targets, ridge);
            var (trainError, trainMse) = Score(phiTrain.MatMul(beta), yTrain);
            var (testError, testMse) = Score(Columns(phiTestAll, p).MatMul(beta), yTest);
            lock (gate)
            {
                points[i] = new DoubleDescentPoint(p, (long)p * Classes, trainError, testError, trainMse, testMse);
                // Progress in the grid's order: each point once every point before it is done.
                for (; reported < points.Length && points[reported] is { } next; reported++) progress?.Invoke(next);
            }
        });
        return new DoubleDescentResult("random-features", trainSize, testSize, (long)trainSize * Classes, [.. points.Select(p => p!)]);
    }

    /// <summary>The MLP curve: Flatten → Linear(784, h) → ReLU → Linear(h, 10) for each hidden width, trained with Adam
    /// (lr 1e-3, batch 64, no regularization) for <paramref name="epochs"/> epochs on <paramref name="trainSize"/>
    /// examples whose labels are replaced by a random other class with probability <paramref name="labelNoise"/>; train
    /// error is against the noisy labels, test error against clean test labels.</summary>
    public static DoubleDescentResult Mlp(int trainSize = 1000, int testSize = 2000, int[]? widths = null, double labelNoise = 0.2,
        int epochs = 200, int seed = 1, Action<DoubleDescentPoint>? progress = null)
    {
        CheckSizes(trainSize, testSize);
        widths ??= [2, 4, 8, 12, 16, 24, 32, 64, 128, 256, 512];
        if (widths.Length == 0 || widths.Any(h => h < 1)) throw new ArgumentException($"DoubleDescent: widths must be positive, got [{string.Join(", ", widths)}]");
        if (!(labelNoise >= 0 && labelNoise <= 1)) throw new ArgumentException($"DoubleDescent: label noise must be in [0, 1], got {labelNoise}");
        if (epochs < 1) throw new ArgumentException($"DoubleDescent: epochs must be at least 1, got {epochs}");
        var g = new Generator((ulong)seed);
        var (xTrain, yTrain) = Draw(trainSize, train: true, g);
        var (xTest, yTest) = Draw(testSize, train: false, g);
        var noisy = NoisyLabels(yTrain.ToArray(), labelNoise, g);
        var train = new TensorDataset(xTrain, Tensor.FromArray(noisy, noisy.Length));
        var test = new TensorDataset(xTest, yTest);
        var points = new List<DoubleDescentPoint>();
        foreach (int h in widths)
        {
            var model = Architectures.Mlp(g, xTrain.Dim(1), [h]);
            var trainer = new Trainer(model, new Adam(model.Parameters(), lr: 1e-3), new CrossEntropyLoss());
            trainer.Fit(new DataLoader(train, 64, shuffle: true, generator: g, prefetch: false), epochs: epochs);
            double trainError = 1 - trainer.Evaluate(new DataLoader(train, 1000, prefetch: false))["accuracy"];
            double testError = 1 - trainer.Evaluate(new DataLoader(test, 1000, prefetch: false))["accuracy"];
            var point = new DoubleDescentPoint(h, model.Parameters().Sum(p => (long)p.Size), trainError, testError, double.NaN, double.NaN);
            points.Add(point);
            progress?.Invoke(point);
        }
        return new DoubleDescentResult("mlp", trainSize, testSize, (long)trainSize * Classes, points);
    }

    /// <summary>Label noise as Nakkiran et al. (2019) add it: each label, with probability <paramref name="p"/>, becomes a
    /// class drawn uniformly from the other classes, so a fraction p of the labels is wrong (drawing from all classes
    /// would leave a tenth of the drawn ones right, 0.9·p wrong). Changes <paramref name="labels"/> in place and returns it.</summary>
    internal static float[] NoisyLabels(float[] labels, double p, Generator g)
    {
        for (int i = 0; i < labels.Length; i++)
            if (g.NextDouble() < p)
            {
                int other = g.NextInt(Classes - 1);
                labels[i] = other >= (int)labels[i] ? other + 1 : other;
            }
        return labels;
    }

    /// <summary>Throws unless both sizes can be drawn, stratified, from the embedded subset: one example per class at
    /// least, the whole subset at most. Both curves check this before any work, so a caller may check it up front.</summary>
    public static void CheckSizes(int trainSize, int testSize)
    {
        var (trainSet, testSet) = FashionMnist.LoadEmbedded();
        foreach (var (name, count, available) in new[] { ("train", trainSize, trainSet.Count), ("test", testSize, testSet.Count) })
            if (count < Classes || count > available)
                throw new ArgumentException($"DoubleDescent: {name} size must be in [{Classes}, {available}] (the embedded subset), got {count}");
    }

    // A stratified draw of `count` examples (checked by CheckSizes) as flat inputs [count, 784] and class indices [count].
    static (Tensor X, Tensor Y) Draw(int count, bool train, Generator g)
    {
        var (trainSet, testSet) = FashionMnist.LoadEmbedded();
        var source = (TensorDataset)(train ? trainSet : testSet);
        int[] rows = count == source.Count ? Enumerable.Range(0, count).ToArray()
            : Splits.TrainValidation(source, count / (double)source.Count, g).Validation.Indices.ToArray();
        int d = source.Inputs.Size / source.Count;
        var x = new float[rows.Length * d];
        var y = new float[rows.Length];
        for (int i = 0; i < rows.Length; i++)
        {
            source.InputRow(rows[i]).CopyTo(x.AsSpan(i * d, d));
            y[i] = source.TargetRow(rows[i])[0];
        }
        return (Tensor.FromArray(x, rows.Length, d), Tensor.FromArray(y, rows.Length));
    }

    static Tensor Columns(Tensor m, int count)
    {
        int rows = m.Dim(0), cols = m.Dim(1);
        var result = new float[rows * count];
        for (int i = 0; i < rows; i++) m.Span.Slice(i * cols, count).CopyTo(result.AsSpan(i * count, count));
        return Tensor.FromArray(result, rows, count);
    }

    // Misclassification rate of the arg-max and mean squared error against one-hot targets (per example, summed over classes).
    static (double Error, double Mse) Score(Tensor predictions, Tensor labels)
    {
        var yhat = predictions.ToArray();
        var y = labels.ToArray();
        int n = y.Length, wrong = 0;
        double se = 0;
        for (int i = 0; i < n; i++)
        {
            var row = yhat.AsSpan(i * Classes, Classes);
            if (TensorPrimitives.IndexOfMax(row) != (int)y[i]) wrong++;
            for (int c = 0; c < Classes; c++)
            {
                double diff = row[c] - (c == (int)y[i] ? 1 : 0);
                se += diff * diff;
            }
        }
        return (wrong / (double)n, se / n);
    }
}
