using Occam.Losses;
using Occam.Optim;
using Occam.Studies;

namespace Occam.Models;

/// <summary>The penalty along a <see cref="RegularizationPath"/>: λ·(α·Σ|w| + (1 − α)/2·Σw²) with α the l1 ratio.</summary>
public enum PathPenalty
{
    /// <summary>The lasso, α = 1: λ·Σ|w|.</summary>
    L1,

    /// <summary>Ridge, α = 0: λ/2·Σw².</summary>
    L2,

    /// <summary>Elastic net, α in (0, 1].</summary>
    ElasticNet,
}

/// <summary>What a <see cref="RegularizationPath"/> fits: logistic regression (binary for two classes, multinomial for
/// more) on class indices, or least squares on real targets.</summary>
public enum PathTask
{
    Classification,
    Regression,
}

/// <summary>
/// One fit on the path. The metric is accuracy for classification and mean squared error for regression;
/// <paramref name="ValidationStandardError"/> is its standard error over the validation examples (sample sd of the
/// per-example 0/1 correctness or squared error, / √m). Losses are unpenalized: mean cross-entropy, or mean squared
/// error. <paramref name="ValidationR2"/> is NaN for classification. Coefficients [outputs·features] (row-major) and
/// intercepts are on the scale the model was fitted on (standardized features unless standardization was off).
/// </summary>
public sealed record PathPoint(double Lambda, int Nonzero, double TrainMetric, double ValidationMetric, double ValidationStandardError,
    double TrainLoss, double ValidationLoss, double ValidationR2, int Iterations, float[] Coefficients, float[] Intercept);

/// <summary>A fitted path, from the largest λ down, with the index of the best λ and of the one-standard-error λ (the
/// largest λ whose validation metric is within one SE of the best: glmnet's <c>lambda.1se</c>).</summary>
public sealed record PathResult(PathTask Task, PathPenalty Penalty, double L1Ratio, double LambdaMax, bool Standardized,
    int Features, int Outputs, int TrainSize, int ValidationSize, IReadOnlyList<PathPoint> Points, int Best, int OneStandardError)
{
    /// <summary>"accuracy" (higher is better) or "mse" (lower is better).</summary>
    public string Metric => Task == PathTask.Classification ? "accuracy" : "mse";
}

/// <summary>
/// The regularization path of a linear model (as glmnet and scikit-learn's <c>lasso_path</c>): fits on a log grid of λ
/// from λ_max down to λ_max·minRatio, each fit warm-started from the previous, and scores each on validation data.
/// Objective (glmnet's): data term + λ·(α·Σ|w| + (1 − α)/2·Σw²), with the data term the mean cross-entropy for
/// classification and RSS/(2n) for regression (so λ is scikit-learn's Lasso/ElasticNet alpha, and C = 1/(n·λ) for its
/// LogisticRegression with any penalty); the intercept is never penalized. It maps onto <see cref="LinearModel"/>'s
/// Keras coefficients by <see cref="Conventions.GlmnetToElasticNet"/>. λ_max is the smallest λ at which every
/// coefficient is zero, max|∇L(0)|/α with the intercept fitted; for ridge (α = 0) the path starts, as glmnet's does,
/// at the λ_max of α = 10⁻³, where the coefficients are small but not zero. Features are standardized by default
/// (glmnet's standardize = TRUE: training mean and population sd, applied to validation too; a constant column
/// becomes zero and its coefficient stays zero) and coefficients are reported on that scale.
/// </summary>
public sealed class RegularizationPath
{
    /// <summary>The l1 ratio whose λ_max starts a ridge path (glmnet's choice).</summary>
    public const double RidgeStartL1Ratio = 1e-3;

    public RegularizationPath(PathTask task = PathTask.Classification, PathPenalty penalty = PathPenalty.L1, double? l1Ratio = null,
        int lambdas = 20, double? minRatio = null, IReadOnlyList<double>? grid = null, bool standardize = true,
        int maxIterations = 5000, double tolerance = 1e-3)
    {
        if (!Enum.IsDefined(task)) throw new ArgumentException($"RegularizationPath: unknown task {task}");
        if (!Enum.IsDefined(penalty)) throw new ArgumentException($"RegularizationPath: unknown penalty {penalty}");
        if (penalty != PathPenalty.ElasticNet && l1Ratio != null)
            throw new ArgumentException($"RegularizationPath: l1Ratio applies to the elastic-net penalty only, got l1Ratio {l1Ratio} with {penalty}");
        if (penalty == PathPenalty.ElasticNet && !(l1Ratio is null || (l1Ratio > 0 && l1Ratio <= 1)))
            throw new ArgumentException($"RegularizationPath: l1Ratio must be in (0, 1], got {l1Ratio}");
        if (grid == null && lambdas < 2) throw new ArgumentException($"RegularizationPath: lambdas must be at least 2, got {lambdas}");
        double ratio = minRatio ?? (penalty == PathPenalty.L2 ? 1e-6 : 1e-3);
        if (grid == null && !(ratio > 0 && ratio < 1)) throw new ArgumentException($"RegularizationPath: minRatio must be in (0, 1), got {ratio}");
        if (grid != null)
        {
            if (grid.Count == 0) throw new ArgumentException("RegularizationPath: the λ grid is empty");
            foreach (double v in grid)
                if (!(v > 0 && double.IsFinite(v))) throw new ArgumentException($"RegularizationPath: every λ in the grid must be positive and finite, got {v}");
        }
        if (maxIterations < 1) throw new ArgumentException($"RegularizationPath: maxIterations must be positive, got {maxIterations}");
        if (!(tolerance > 0)) throw new ArgumentException($"RegularizationPath: tolerance must be positive, got {tolerance}");
        Task = task;
        Penalty = penalty;
        L1Ratio = penalty switch { PathPenalty.L1 => 1, PathPenalty.L2 => 0, _ => l1Ratio ?? 0.5 };
        Lambdas = grid?.Count ?? lambdas;
        MinRatio = ratio;
        Grid = grid?.OrderDescending().ToArray();
        Standardize = standardize;
        MaxIterations = maxIterations;
        Tolerance = tolerance;
    }

    public PathTask Task { get; }
    public PathPenalty Penalty { get; }

    /// <summary>α: 1 for L1, 0 for L2, the given ratio for the elastic net.</summary>
    public double L1Ratio { get; }

    public int Lambdas { get; }

    /// <summary>The smallest λ of the log grid as a fraction of λ_max: by default 10⁻³, and 10⁻⁶ for ridge, whose λ_max is
    /// 1000 times larger, so both paths end at the same λ.</summary>
    public double MinRatio { get; }

    /// <summary>The explicit λ grid, largest first (null: the log grid from λ_max).</summary>
    public IReadOnlyList<double>? Grid { get; }

    /// <summary>Whether features are standardized with the training rows' statistics before fitting.</summary>
    public bool Standardize { get; }

    /// <summary>Per fit, passed to <see cref="LinearModel"/>.</summary>
    public int MaxIterations { get; }

    /// <summary>Each fit stops when its optimality violation (<see cref="LinearModel.Tolerance"/>) falls below this
    /// fraction of max|∇(0)|, the largest gradient at w = 0 (λ_max·α), so the tolerance follows the data's scale.
    /// The default 10⁻³ puts the nonzero counts of a Fashion-MNIST lasso path within a few percent of a fully
    /// converged solver's (bench/RESULTS.md).</summary>
    public double Tolerance { get; }

    /// <summary>LinearModel's (l1, l2) for λ: (λα, λ(1 − α)/2) against the mean cross-entropy, doubled against the mean
    /// squared error, which is twice glmnet's RSS/(2n).</summary>
    public (double L1, double L2) Penalties(double lambda) =>
        Conventions.GlmnetToElasticNet(lambda, L1Ratio, againstMeanSquaredError: Task == PathTask.Regression);

    /// <summary><paramref name="count"/> values from <paramref name="lambdaMax"/> down to lambdaMax·minRatio, evenly
    /// spaced in log λ.</summary>
    public static double[] LogGrid(double lambdaMax, int count, double minRatio)
    {
        if (!(lambdaMax > 0 && double.IsFinite(lambdaMax))) throw new ArgumentException($"RegularizationPath.LogGrid: lambdaMax must be positive and finite, got {lambdaMax}");
        if (count < 2) throw new ArgumentException($"RegularizationPath.LogGrid: count must be at least 2, got {count}");
        if (!(minRatio > 0 && minRatio < 1)) throw new ArgumentException($"RegularizationPath.LogGrid: minRatio must be in (0, 1), got {minRatio}");
        return Enumerable.Range(0, count).Select(i => lambdaMax * Math.Pow(minRatio, i / (double)(count - 1))).ToArray();
    }

    /// <summary>λ_max on these training data (standardized first when <see cref="Standardize"/> is on).</summary>
    public double LambdaMax(Tensor xTrain, Tensor yTrain)
    {
        Check(xTrain, yTrain, "training");
        using var _ = Autograd.NoGrad();
        return LambdaMaxOf(GradientAtZero(Features(xTrain, xTrain), Targets(yTrain, Classes(yTrain))));
    }

    /// <summary><paramref name="x"/> as the path fits it: standardized with the column means and population standard
    /// deviations of <paramref name="xTrain"/> when <see cref="Standardize"/> is on (a constant column becomes zero),
    /// else unchanged.</summary>
    public Tensor Features(Tensor xTrain, Tensor x)
    {
        ArgumentNullException.ThrowIfNull(xTrain);
        ArgumentNullException.ThrowIfNull(x);
        if (xTrain.Rank != 2 || x.Rank != 2 || x.Dim(1) != xTrain.Dim(1))
            throw new ArgumentException($"RegularizationPath.Features: needs X_train [n, d] and X [m, d], got {Shape.Format(xTrain.Shape)} and {Shape.Format(x.Shape)}");
        return Standardize ? Standardized(xTrain, x) : x;
    }

    /// <summary>Fits the path on the training data and scores every fit on the validation data;
    /// <paramref name="progress"/> sees each point as it is fitted.</summary>
    /// <remarks>Each λ is solved on a working set of features (as glmnet, celer and skglm do): those already in the model
    /// plus those whose gradient breaks the optimality condition max over outputs |∇ⱼ| ≤ αλ most, fitted by
    /// <see cref="LinearModel"/> on those columns alone (each iteration reads only them); then the full gradient is
    /// checked, the worst violators join and the fit is repeated until none is left. Ridge (α = 0) fits every feature
    /// at once.</remarks>
    public PathResult Fit(Tensor xTrain, Tensor yTrain, Tensor xValidation, Tensor yValidation, Action<PathPoint>? progress = null)
    {
        Check(xTrain, yTrain, "training");
        Check(xValidation, yValidation, "validation");
        if (xValidation.Dim(1) != xTrain.Dim(1))
            throw new ArgumentException($"RegularizationPath: training data have {xTrain.Dim(1)} features but validation data {xValidation.Dim(1)}");
        int classes = Classes(yTrain);
        if (Task == PathTask.Classification)
        {
            float top = yValidation.ToArray().Max();
            if (top >= classes) throw new ArgumentException($"RegularizationPath: validation label {top} is a class the training labels (0 … {classes - 1}) do not hold");
        }
        var (x, xv) = (Features(xTrain, xTrain), Features(xTrain, xValidation));
        var targets = Targets(yTrain, classes);
        int d = x.Dim(1), outputs = targets.Dim(1);
        var gradient = GradientAtZero(x, targets);
        double lambdaMax = LambdaMaxOf(gradient);
        var grid = Grid ?? LogGrid(lambdaMax, Lambdas, MinRatio);
        // LinearModel's units: the gradient of the mean squared error is twice glmnet's RSS/(2n).
        double tolerance = Tolerance * gradient.Max(g => Math.Abs((double)g)) * (Task == PathTask.Regression ? 2 : 1);
        LinearModel model = Task == PathTask.Classification
            ? new LogisticRegression(maxIterations: MaxIterations, tolerance: tolerance)
            : new LinearRegression(maxIterations: MaxIterations, tolerance: tolerance);
        var (w, b) = (new float[outputs * d], new float[outputs]);
        var active = new bool[d];
        var points = new List<PathPoint>(grid.Count);
        foreach (double lambda in grid)
        {
            (model.L1, model.L2) = Penalties(lambda);
            Screen(active, w, gradient, lambda);
            int iterations = 0;
            Tensor z;
            while (true)
            {
                var columns = Enumerable.Range(0, d).Where(j => active[j]).ToArray();
                model.StartFrom(Select(w, outputs, d, columns), Tensor.FromArray(b, outputs));
                var xa = columns.Length == d ? x : Select(x, columns);
                if (model is LogisticRegression logistic) logistic.Fit(xa, yTrain);
                else ((LinearRegression)model).Fit(xa, yTrain);
                iterations += model.Iterations;
                Scatter(model.Coefficients.Span, w, d, columns);
                model.Intercept.Span.CopyTo(b);
                z = Functional.Linear(x, Tensor.FromArray(w, outputs, d), Tensor.FromArray(b, outputs));
                if (L1Ratio == 0) break;  // ridge: every feature is in
                gradient = Gradient(x, Residual(z, targets));
                if (!AddViolators(active, gradient, L1Ratio * lambda)) break;
            }
            var train = Score(z, yTrain);
            var validation = Score(Functional.Linear(xv, Tensor.FromArray(w, outputs, d), Tensor.FromArray(b, outputs)), yValidation);
            var point = new PathPoint(lambda, w.Count(v => v != 0), train.Metric, validation.Metric, validation.Error,
                train.Loss, validation.Loss, validation.R2, iterations, (float[])w.Clone(), (float[])b.Clone());
            points.Add(point);
            progress?.Invoke(point);
        }
        double sign = Task == PathTask.Classification ? 1 : -1;  // the rule wants higher-is-better
        var (best, oneSe) = Sweep.OneStandardErrorRule(points.Select(p => sign * p.ValidationMetric).ToArray(),
            points.Select(p => p.ValidationStandardError).ToArray(), points.Select(p => p.Lambda).ToArray());
        return new PathResult(Task, Penalty, L1Ratio, lambdaMax, Standardize, d, outputs, x.Dim(0), xv.Dim(0), points, best, oneSe);
    }

    // The working set for λ: every feature with a nonzero coefficient, plus the features that break the optimality
    // condition max over outputs |∇ⱼ| ≤ αλ most (as many as are in, at least 10); ridge: all of them. At least one
    // feature is in, so the intercept is always fitted.
    void Screen(bool[] active, float[] w, float[] gradient, double lambda)
    {
        int d = active.Length, outputs = w.Length / d;
        if (L1Ratio == 0) { Array.Fill(active, true); return; }
        for (int j = 0; j < d; j++)
        {
            active[j] = false;
            for (int c = 0; c < outputs; c++) active[j] |= w[c * d + j] != 0;
        }
        if (!AddViolators(active, gradient, L1Ratio * lambda) && !active.Contains(true))
            active[Enumerable.Range(0, d).MaxBy(j => Violation(gradient, d, j))] = true;
    }

    // Adds the inactive features that break |∇ⱼ| ≤ αλ (with 0.1% slack for the solver's tolerance) most: as many as
    // are already in, at least 10. True if it added any.
    static bool AddViolators(bool[] active, float[] gradient, double bound)
    {
        int d = active.Length;
        var violators = Enumerable.Range(0, d).Where(j => !active[j] && Violation(gradient, d, j) > bound * (1 + 1e-3))
            .OrderByDescending(j => Violation(gradient, d, j)).Take(Math.Max(10, active.Count(a => a))).ToList();
        foreach (int j in violators) active[j] = true;
        return violators.Count > 0;
    }

    static double Violation(float[] gradient, int d, int j)
    {
        double g = 0;
        for (int i = j; i < gradient.Length; i += d) g = Math.Max(g, Math.Abs(gradient[i]));
        return g;
    }

    static Tensor Select(Tensor x, int[] columns)
    {
        int n = x.Dim(0), d = x.Dim(1), m = columns.Length;
        var source = x.Span;
        var result = new float[n * m];
        for (int i = 0; i < n; i++)
            for (int a = 0; a < m; a++) result[i * m + a] = source[i * d + columns[a]];
        return Tensor.FromArray(result, n, m);
    }

    static Tensor Select(float[] w, int outputs, int d, int[] columns) =>
        Select(Tensor.FromArray(w, outputs, d), columns);

    static void Scatter(ReadOnlySpan<float> coefficients, float[] w, int d, int[] columns)
    {
        int m = columns.Length, outputs = w.Length / d;
        Array.Clear(w);
        for (int c = 0; c < outputs; c++)
            for (int a = 0; a < m; a++) w[c * d + columns[a]] = coefficients[c * m + a];
    }

    // F(z) − T: the derivative of each loss with respect to the outputs z, per example (softmax or sigmoid minus the
    // targets for cross-entropy, the residual for RSS/2).
    Tensor Residual(Tensor z, Tensor targets) =>
        Task == PathTask.Regression ? z - targets : targets.Dim(1) == 1 ? z.Sigmoid() - targets : z.Softmax(1) - targets;

    // ∇ = (1/n)·residualᵀX [outputs, features], glmnet's units (no factor 2 for RSS/2n).
    static float[] Gradient(Tensor x, Tensor residual)
    {
        var g = residual.Transpose(0, 1).MatMul(x).ToArray();
        float scale = 1f / x.Dim(0);
        for (int i = 0; i < g.Length; i++) g[i] *= scale;
        return g;
    }

    // With the intercept fitted and w = 0, the fitted outputs F(z) are the target means T̄ (class frequencies for
    // cross-entropy, ȳ for least squares), so the gradient is (1/n)·(T̄ − T)ᵀX.
    static float[] GradientAtZero(Tensor x, Tensor targets) => Gradient(x, targets.Mean(0, keepDim: true) - targets);

    void Check(Tensor x, Tensor y, string what)
    {
        ArgumentNullException.ThrowIfNull(x);
        ArgumentNullException.ThrowIfNull(y);
        if (x.Rank != 2 || x.Dim(0) == 0 || x.Dim(1) == 0)
            throw new ArgumentException($"RegularizationPath: {what} X must be [samples, features], got {Shape.Format(x.Shape)}");
        if (y.Rank != 1 || y.Dim(0) != x.Dim(0))
            throw new ArgumentException($"RegularizationPath: {what} y must be [{x.Dim(0)}], got {Shape.Format(y.Shape)}");
        var xs = x.Span;
        for (int i = 0; i < xs.Length; i++)
            if (!float.IsFinite(xs[i]))
                throw new ArgumentException($"RegularizationPath: {what} X holds {xs[i]} at row {i / x.Dim(1)}, column {i % x.Dim(1)}; fit on finite values");
        foreach (float v in y.Span)
        {
            if (!float.IsFinite(v)) throw new ArgumentException($"RegularizationPath: {what} y holds a non-finite value {v}");
            if (Task == PathTask.Classification && (v < 0 || v != MathF.Floor(v)))
                throw new ArgumentException($"RegularizationPath: classification needs class indices 0, 1, 2, … as {what} labels, got {v}");
        }
    }

    // Classes in the training labels (0 for regression); a single class is an error.
    int Classes(Tensor y)
    {
        if (Task == PathTask.Regression) return 0;
        var labels = y.ToArray();
        var distinct = labels.Distinct().ToArray();
        if (distinct.Length < 2)
            throw new ArgumentException($"RegularizationPath: the training labels hold a single class ({distinct[0]}); classification needs at least two");
        return (int)labels.Max() + 1;
    }

    // The target matrix T whose centred product with X is the gradient at w = 0: one-hot for multinomial, else y.
    static Tensor Targets(Tensor y, int classes) => classes > 2 ? Tensor.OneHot(y, classes) : y.Reshape(-1, 1);

    // λ_max = max|∇(0)|/α, a hair above so that float rounding cannot leave a coefficient nonzero at λ_max.
    double LambdaMaxOf(float[] gradient)
    {
        double max = gradient.Max(g => Math.Abs((double)g));
        if (!(max > 0))
            throw new ArgumentException(Task == PathTask.Regression
                ? "RegularizationPath: the targets are constant or no feature varies, so every λ gives zero coefficients"
                : "RegularizationPath: no feature varies, so every λ gives zero coefficients");
        return max / (L1Ratio > 0 ? L1Ratio : RidgeStartL1Ratio) * (1 + 1e-6);
    }

    // (x − mean)/sd per column with the statistics of `reference` (population sd; a constant column becomes zero).
    static Tensor Standardized(Tensor reference, Tensor x)
    {
        int n = reference.Dim(0), d = reference.Dim(1), m = x.Dim(0);
        var r = reference.Span;
        var mean = new double[d];
        var scale = new double[d];
        for (int i = 0; i < n; i++) for (int j = 0; j < d; j++) mean[j] += r[i * d + j];
        for (int j = 0; j < d; j++) mean[j] /= n;
        for (int i = 0; i < n; i++) for (int j = 0; j < d; j++) { double c = r[i * d + j] - mean[j]; scale[j] += c * c; }
        for (int j = 0; j < d; j++)
        {
            double sd = Math.Sqrt(scale[j] / n);
            scale[j] = sd > 1e-10 * (1 + Math.Abs(mean[j])) ? 1 / sd : 0;
        }
        var source = x.Span;
        var result = new float[m * d];
        for (int i = 0; i < m; i++) for (int j = 0; j < d; j++) result[i * d + j] = (float)((source[i * d + j] - mean[j]) * scale[j]);
        return Tensor.FromArray(result, m, d);
    }

    // Metric (accuracy or MSE) of outputs z, its standard error over the examples, the unpenalized mean loss and R²
    // (NaN for classification).
    (double Metric, double Error, double Loss, double R2) Score(Tensor z, Tensor y)
    {
        var labels = y.ToArray();
        var outputs = z.ToArray();
        int m = labels.Length, k = z.Dim(1);
        var perExample = new double[m];
        if (Task == PathTask.Regression)
        {
            for (int i = 0; i < m; i++) perExample[i] = (outputs[i] - labels[i]) * (double)(outputs[i] - labels[i]);
            var (mse, se) = Sweep.MeanAndError(perExample);
            double mean = labels.Average(v => (double)v), variance = labels.Average(v => (v - mean) * (v - mean));
            return (mse, se, mse, variance > 0 ? 1 - mse / variance : double.NaN);
        }
        for (int i = 0; i < m; i++)
        {
            int predicted = k == 1 ? (outputs[i] > 0 ? 1 : 0) : ArgMax(outputs.AsSpan(i * k, k));
            perExample[i] = predicted == (int)labels[i] ? 1 : 0;
        }
        var (accuracy, error) = Sweep.MeanAndError(perExample);
        double loss = k == 1 ? new BCEWithLogitsLoss().Forward(z, y.Reshape(-1, 1)).Item() : new CrossEntropyLoss().Forward(z, y).Item();
        return (accuracy, error, loss, double.NaN);
    }

    static int ArgMax(ReadOnlySpan<float> row)
    {
        int best = 0;
        for (int j = 1; j < row.Length; j++) if (row[j] > row[best]) best = j;
        return best;
    }
}
