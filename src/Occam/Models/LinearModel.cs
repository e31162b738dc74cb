using Occam.Losses;
using Occam.NN;
using Occam.Optim;

namespace Occam.Models;

/// <summary>
/// The shared fitting of <see cref="LinearRegression"/> and <see cref="LogisticRegression"/>: a <see cref="Linear"/>
/// layer on Occam's engine, trained full-batch on mean loss + l2·Σw² + l1·Σ|w| (Keras conventions, coefficients only,
/// never the intercept) by OWL-QN (Andrew &amp; Gao 2007, as Spark MLlib fits L1 and elastic-net logistic regression):
/// L-BFGS on the smooth part, steered by the L1 pseudo-gradient and kept within one orthant per step, so a coefficient
/// that would cross zero stops exactly at zero and L1 gives exact zeros; without L1 it is plain L-BFGS. The loss and
/// its gradient come from the engine (autograd). Stops when the largest pseudo-gradient entry — the violation of the
/// optimality conditions, in loss units per unit of coefficient — falls below the tolerance (<see cref="Converged"/>),
/// or when no step decreases the objective any more. With an intercept the solver works on centred columns and moves
/// the means into the intercept afterwards (the same optimum, since the intercept is not penalized): in float32, columns
/// far from zero (values 1000 ± 1) otherwise leave it stuck far from the optimum. Warm-starts from the previous fit.
/// </summary>
public abstract class LinearModel
{
    private protected LinearModel(string name, double l2, double l1, int maxIterations, double tolerance, bool fitIntercept)
    {
        Name = name;
        if (maxIterations < 1) throw new ArgumentException($"{name}: maxIterations must be positive, got {maxIterations}");
        if (!(tolerance > 0)) throw new ArgumentException($"{name}: tolerance must be positive, got {tolerance}");
        (L2, L1, MaxIterations, Tolerance, FitIntercept) = (l2, l1, maxIterations, tolerance, fitIntercept);
    }

    double _l2, _l1;

    private protected string Name { get; }

    /// <summary>The L2 strength (finite, non-negative).</summary>
    public double L2 { get => _l2; set => _l2 = Strength("l2", value); }

    /// <summary>The L1 strength (finite, non-negative).</summary>
    public double L1 { get => _l1; set => _l1 = Strength("l1", value); }

    double Strength(string what, double value) =>
        value >= 0 && double.IsFinite(value) ? value : throw new ArgumentException($"{Name}: {what} must be finite and non-negative, got {value}");

    /// <summary>Whether the last fit met the tolerance, or stopped where no step lowers the objective in float32 while
    /// the quasi-Newton model predicts less improvement than float32 resolves in the objective (2⁻²³ of it): how small
    /// the gradient can get in float32 depends on the data's scale and on the CPU's vector width (the order of its sums).
    /// False when it stopped at maxIterations, or where no step helped although the model predicted a visible gain.</summary>
    public bool Converged { get; private set; }

    const double FloatResolution = 1.0 / (1 << 23);
    public int MaxIterations { get; }

    /// <summary>The largest pseudo-gradient entry (optimality violation) a fit stops at.</summary>
    public double Tolerance { get; }
    public bool FitIntercept { get; }

    /// <summary>The fitted layer (null before Fit).</summary>
    public Linear? Layer { get; private set; }

    /// <summary>Quasi-Newton iterations the last fit took (0 when it started at the optimum).</summary>
    public int Iterations { get; private set; }

    /// <summary>Coefficients [outputs, features] (a copy).</summary>
    public Tensor Coefficients => (Layer ?? throw NotFitted()).Weight.Clone();

    /// <summary>Intercepts [outputs] (zeros without an intercept).</summary>
    public Tensor Intercept => Layer?.Bias?.Clone() ?? (Layer != null ? Tensor.Zeros(Layer.OutFeatures) : throw NotFitted());

    private protected InvalidOperationException NotFitted() => new($"{Name}: call Fit first");

    /// <summary>Makes the next fit start from these coefficients [outputs, features] and intercepts [outputs]: a warm
    /// start that may change the number of features, as a working-set solver (<see cref="RegularizationPath"/>) needs.</summary>
    internal void StartFrom(Tensor coefficients, Tensor intercept)
    {
        Layer = new Linear(coefficients.Dim(1), coefficients.Dim(0), bias: FitIntercept, generator: new Generator(0));
        using var _ = Autograd.NoGrad();
        Layer.Weight.CopyFrom(coefficients);
        Layer.Bias?.CopyFrom(intercept);
    }

    private protected abstract ILoss Loss { get; }

    /// <summary>Throws unless X is [samples ≥ 1, features] of finite values and y has as many finite rows.</summary>
    private protected void CheckData(Tensor x, Tensor y)
    {
        ArgumentNullException.ThrowIfNull(x);
        ArgumentNullException.ThrowIfNull(y);
        if (x.Rank != 2 || x.Dim(0) == 0) throw new ArgumentException($"{Name}: X must be [samples, features] with at least one sample, got {Shape.Format(x.Shape)}");
        if (y.Rank == 0 || y.Dim(0) != x.Dim(0)) throw new ArgumentException($"{Name}: X has {x.Dim(0)} rows but y has shape {Shape.Format(y.Shape)}");
        CheckFinite(x, "X");
        CheckFinite(y, "y");
    }

    void CheckFinite(Tensor t, string what)
    {
        var s = t.Span;
        int row = t.Size / t.Dim(0);
        for (int i = 0; i < s.Length; i++)
            if (!float.IsFinite(s[i])) throw new ArgumentException($"{Name}: {what} holds {s[i]} at row {i / row}{(t.Rank > 1 ? $", column {i % row}" : "")}; fit on finite values");
    }

    private protected void FitCore(Tensor x, Tensor targets, int outputs)
    {
        if (x.Rank != 2) throw new ArgumentException($"{Name}: X must be [samples, features], got {Shape.Format(x.Shape)}");
        int d = x.Dim(1);
        var means = FitIntercept ? ColumnMeans(x) : null;
        if (means != null) x = Centred(x, means);
        if (Layer == null || Layer.InFeatures != d || Layer.OutFeatures != outputs)
        {
            Layer = new Linear(d, outputs, bias: FitIntercept, generator: new Generator(0));
            using (Autograd.NoGrad())
            {
                Layer.Weight.CopyFrom(Tensor.Zeros(outputs, d));
                Layer.Bias?.CopyFrom(Tensor.Zeros(outputs));
            }
        }
        // θ = [coefficients, intercepts]; only the first `penalized` entries carry the L1 (and L2) penalty.
        int penalized = Layer.Weight.Size, size = penalized + (Layer.Bias?.Size ?? 0);
        var theta = new double[size];
        for (int i = 0; i < penalized; i++) theta[i] = Layer.Weight.Span[i];
        for (int i = penalized; i < size; i++) theta[i] = Layer.Bias!.Span[i - penalized];
        if (means != null) MoveMeans(theta, penalized, means, +1); // the warm start's intercept, on centred columns
        var (gradient, pseudo, trial, trialGradient, direction) = (new double[size], new double[size], new double[size], new double[size], new double[size]);
        double objective = Evaluate(x, targets, theta, gradient) + L1 * L1Norm(theta, penalized);
        var history = new Queue<(double[] S, double[] Y, double Rho)>();
        Converged = false;
        for (Iterations = 0; Iterations < MaxIterations; Iterations++)
        {
            double violation = PseudoGradient(theta, gradient, penalized, pseudo);
            if (violation < Tolerance) { Converged = true; break; }
            double slope = Direction(pseudo, history, direction, penalized);
            if (slope >= 0)
            {
                history.Clear();  // the curvature pairs no longer give a descent direction: restart from steepest descent
                slope = Direction(pseudo, history, direction, penalized);
            }
            // First step (no curvature yet): at most unit length in the largest coordinate.
            double step = history.Count == 0 ? Math.Min(1, 1 / violation) : 1;
            double trialObjective = double.PositiveInfinity;
            for (int halvings = 0; halvings < 30; halvings++, step /= 2)
            {
                for (int i = 0; i < size; i++)
                {
                    double v = theta[i] + step * direction[i];
                    // Stay in the orthant of θ (of −pseudo-gradient where θ is zero): a coefficient that would cross zero stops at it.
                    double orthant = theta[i] != 0 ? theta[i] : -pseudo[i];
                    trial[i] = i < penalized && L1 > 0 && v * orthant <= 0 ? 0 : v;
                }
                trialObjective = Evaluate(x, targets, trial, trialGradient) + L1 * L1Norm(trial, penalized);
                double decrease = 0;
                for (int i = 0; i < size; i++) decrease += pseudo[i] * (trial[i] - theta[i]);
                if (trialObjective <= objective + 1e-4 * decrease) break;
            }
            if (!(trialObjective < objective))
            {
                // No step lowers the objective as float32 computes it. Converged when the quasi-Newton model predicts
                // less improvement than the objective's float32 resolution: the fit is then as good as float32 can tell.
                Converged = -0.5 * slope <= Math.Abs(objective) * FloatResolution;
                break;
            }
            var (s, y) = (new double[size], new double[size]);
            double sy = 0, yy = 0;
            for (int i = 0; i < size; i++)
            {
                s[i] = trial[i] - theta[i];
                y[i] = trialGradient[i] - gradient[i];
                sy += s[i] * y[i];
                yy += y[i] * y[i];
            }
            if (sy > 1e-12 * Math.Sqrt(yy * s.Sum(v => v * v)))
            {
                if (history.Count == Memory) history.Dequeue();
                history.Enqueue((s, y, 1 / sy));
            }
            (theta, trial) = (trial, theta);
            (gradient, trialGradient) = (trialGradient, gradient);
            objective = trialObjective;
        }
        if (means != null) MoveMeans(theta, penalized, means, -1);
        Load(theta);
    }

    static double[] ColumnMeans(Tensor x)
    {
        int n = x.Dim(0), d = x.Dim(1);
        var s = x.Span;
        var means = new double[d];
        for (int i = 0; i < n; i++)
            for (int j = 0; j < d; j++) means[j] += s[i * d + j];
        for (int j = 0; j < d; j++) means[j] /= n;
        return means;
    }

    static Tensor Centred(Tensor x, double[] means)
    {
        int n = x.Dim(0), d = x.Dim(1);
        var c = Tensor.Empty([n, d]);
        ReadOnlySpan<float> s = x.Span;
        var cs = c.Span;
        for (int i = 0; i < n; i++)
            for (int j = 0; j < d; j++) cs[i * d + j] = (float)(s[i * d + j] - means[j]);
        return c;
    }

    // Intercepts between raw and centred columns: b_centred = b + W·mean (sign +1), b = b_centred − W·mean (sign −1).
    static void MoveMeans(double[] theta, int penalized, double[] means, int sign)
    {
        int d = means.Length;
        for (int o = 0; o < theta.Length - penalized; o++)
        {
            double shift = 0;
            for (int j = 0; j < d; j++) shift += theta[o * d + j] * means[j];
            theta[penalized + o] += sign * shift;
        }
    }

    /// <summary>Curvature pairs the solver keeps (L-BFGS memory).</summary>
    const int Memory = 10;

    // The smooth part f(θ) = mean loss + l2·Σw² and its gradient, the loss and its gradient from the engine.
    double Evaluate(Tensor x, Tensor targets, double[] theta, double[] gradient)
    {
        int penalized = Load(theta);
        var layer = Layer!;
        layer.Weight.Grad = null;
        if (layer.Bias != null) layer.Bias.Grad = null;
        var loss = Loss.Forward(layer.Forward(x), targets);
        double f = loss.Item();
        loss.Backward();
        var gw = layer.Weight.Grad!.Span;
        double squares = 0;
        for (int i = 0; i < penalized; i++)
        {
            squares += theta[i] * theta[i];
            gradient[i] = gw[i] + 2 * L2 * theta[i];
        }
        if (layer.Bias != null)
        {
            var gb = layer.Bias.Grad!.Span;
            for (int i = penalized; i < theta.Length; i++) gradient[i] = gb[i - penalized];
        }
        return f + L2 * squares;
    }

    // Copies θ into the layer; returns the number of coefficients.
    int Load(double[] theta)
    {
        var w = Layer!.Weight.Span;
        for (int i = 0; i < w.Length; i++) w[i] = (float)theta[i];
        if (Layer.Bias != null)
        {
            var b = Layer.Bias.Span;
            for (int i = 0; i < b.Length; i++) b[i] = (float)theta[w.Length + i];
        }
        return w.Length;
    }

    static double L1Norm(double[] theta, int penalized)
    {
        double sum = 0;
        for (int i = 0; i < penalized; i++) sum += Math.Abs(theta[i]);
        return sum;
    }

    // The pseudo-gradient of f + l1·Σ|w| (Andrew & Gao 2007): the gradient where |w| is differentiable, else the
    // one-sided derivative that descends, else 0 (then w = 0 is optimal in that coordinate). Returns its largest entry,
    // the violation of the optimality conditions.
    double PseudoGradient(double[] theta, double[] gradient, int penalized, double[] pseudo)
    {
        double largest = 0;
        for (int i = 0; i < theta.Length; i++)
        {
            double g = gradient[i];
            if (i < penalized && L1 > 0)
                g = theta[i] > 0 ? g + L1 : theta[i] < 0 ? g - L1 : g + L1 < 0 ? g + L1 : g - L1 > 0 ? g - L1 : 0;
            pseudo[i] = g;
            largest = Math.Max(largest, Math.Abs(g));
        }
        return largest;
    }

    // The L-BFGS direction −H·pseudo (two-loop recursion), with the components that disagree in sign with −pseudo
    // zeroed (they would leave the orthant); returns its slope pseudo·direction.
    double Direction(double[] pseudo, Queue<(double[] S, double[] Y, double Rho)> history, double[] direction, int penalized)
    {
        int size = pseudo.Length;
        for (int i = 0; i < size; i++) direction[i] = -pseudo[i];
        var pairs = history.ToArray();
        var alpha = new double[pairs.Length];
        for (int k = pairs.Length - 1; k >= 0; k--)
        {
            alpha[k] = pairs[k].Rho * Dot(pairs[k].S, direction);
            Axpy(-alpha[k], pairs[k].Y, direction);
        }
        if (pairs.Length > 0)
        {
            var last = pairs[^1];
            double scale = 1 / (last.Rho * Dot(last.Y, last.Y));  // sᵀy / yᵀy
            for (int i = 0; i < size; i++) direction[i] *= scale;
        }
        for (int k = 0; k < pairs.Length; k++)
        {
            double beta = pairs[k].Rho * Dot(pairs[k].Y, direction);
            Axpy(alpha[k] - beta, pairs[k].S, direction);
        }
        double slope = 0;
        for (int i = 0; i < size; i++)
        {
            if (i < penalized && L1 > 0 && direction[i] * pseudo[i] >= 0) direction[i] = 0;
            slope += direction[i] * pseudo[i];
        }
        return slope;
    }

    static double Dot(double[] a, double[] b)
    {
        double sum = 0;
        for (int i = 0; i < a.Length; i++) sum += a[i] * b[i];
        return sum;
    }

    static void Axpy(double a, double[] x, double[] y)
    {
        for (int i = 0; i < x.Length; i++) y[i] += a * x[i];
    }
}

/// <summary>Least squares with optional L2 (ridge) and L1 (lasso) penalties: (1/n)·Σ over samples of the squared error
/// Σ_k (x·w_k + b_k − y_k)², + l2·Σw² + l1·Σ|w|. With several outputs each one's coefficients solve the one-output
/// problem, as scikit-learn's Lasso and Ridge fit each target.</summary>
public sealed class LinearRegression(double l2 = 0, double l1 = 0, int maxIterations = 5000, double tolerance = 1e-7, bool fitIntercept = true)
    : LinearModel("LinearRegression", l2, l1, maxIterations, tolerance, fitIntercept)
{
    ILoss _loss = new MSELoss();

    private protected override ILoss Loss => _loss;

    /// <summary>Mean squared error × outputs = (1/n)·Σ_samples Σ_outputs: per output, the one-output data term.</summary>
    sealed class SummedOverOutputs(int outputs) : ILoss
    {
        readonly MSELoss _mse = new();
        public Tensor Forward(Tensor prediction, Tensor target) => _mse.Forward(prediction, target) * (float)outputs;
    }

    /// <summary>Fits y [samples] (or [samples, outputs]) on X [samples, features].</summary>
    public LinearRegression Fit(Tensor x, Tensor y)
    {
        CheckData(x, y);
        var targets = y.Rank == 1 ? y.Reshape(-1, 1) : y;
        int outputs = targets.Dim(1);
        _loss = outputs == 1 ? new MSELoss() : new SummedOverOutputs(outputs);
        FitCore(x, targets, outputs);
        return this;
    }

    /// <summary>Predictions [samples] (or [samples, outputs]).</summary>
    public Tensor Predict(Tensor x)
    {
        using var _ = Autograd.NoGrad();
        var y = (Layer ?? throw NotFitted()).Forward(x);
        return y.Dim(1) == 1 ? y.Reshape(-1) : y;
    }
}

/// <summary>
/// Logistic regression with L2 (the default pairing) and/or L1 penalties: binary (one output, as scikit-learn's
/// coefficients [1, features]) for two classes, multinomial (softmax) for more. Mean cross-entropy + l2·Σw² + l1·Σ|w|;
/// scikit-learn's C corresponds to l2 = 1/(2·C·n) (see <see cref="Optim.Conventions"/>).
/// </summary>
public sealed class LogisticRegression(double l2 = 0, double l1 = 0, int maxIterations = 5000, double tolerance = 1e-6, bool fitIntercept = true)
    : LinearModel("LogisticRegression", l2, l1, maxIterations, tolerance, fitIntercept)
{
    int _classes;

    /// <summary>The most classes a fit takes (a weight row per class).</summary>
    public const int MaxClasses = 1 << 16;

    private protected override ILoss Loss => _classes == 2 ? new BCEWithLogitsLoss() : new CrossEntropyLoss();

    /// <summary>Number of classes seen by Fit.</summary>
    public int Classes => _classes;

    /// <summary>Fits class indices y [samples] (0 … C−1, stored as floats) on X [samples, features].</summary>
    public LogisticRegression Fit(Tensor x, Tensor y)
    {
        CheckData(x, y);
        if (y.Rank != 1) throw new ArgumentException($"LogisticRegression: y must be [{x.Dim(0)}] class indices, got {Shape.Format(y.Shape)}");
        var labels = y.ToArray();
        foreach (float v in labels)
            if (v != MathF.Floor(v) || v < 0) throw new ArgumentException($"LogisticRegression: y must hold non-negative integer class indices, got {v}");
        float largest = labels.Max();
        if (largest >= MaxClasses) throw new ArgumentException($"LogisticRegression: class index {largest} is beyond the {MaxClasses} classes this model takes; y holds class indices 0 … C−1");
        int classes = (int)largest + 1;
        if (labels.Distinct().Count() < 2) throw new ArgumentException($"LogisticRegression: y holds a single class ({labels[0]}); at least two are needed");
        _classes = Math.Max(classes, 2);
        if (_classes == 2) FitCore(x, y.Reshape(-1, 1), 1);
        else FitCore(x, y, _classes);
        return this;
    }

    /// <summary>Class probabilities [samples, classes].</summary>
    public Tensor PredictProba(Tensor x)
    {
        using var _ = Autograd.NoGrad();
        var z = (Layer ?? throw NotFitted()).Forward(x);
        if (_classes > 2) return z.Softmax(1);
        var p = z.Sigmoid();
        return Tensor.Cat([1f - p, p], 1);
    }

    /// <summary>Most probable class per row [samples].</summary>
    public Tensor Predict(Tensor x) => PredictProba(x).Argmax(1);
}
