using Occam.Losses;
using Occam.NN;
using Occam.Optim;

namespace Occam.Models;

/// <summary>
/// The shared fitting of <see cref="LinearRegression"/> and <see cref="LogisticRegression"/>: a <see cref="Linear"/>
/// layer on Occam's engine, trained full-batch by proximal gradient descent on
/// mean loss + l2·Σw² + l1·Σ|w| (Keras conventions, coefficients only, never the intercept): the smooth part by
/// gradient steps of size 1/L (L from a power iteration on XᵀX/n), the L1 part by soft-thresholding, so L1 gives
/// exact zeros. Stops when no coefficient moves more than the tolerance. Warm-starts from the previous fit.
/// </summary>
public abstract class LinearModel
{
    private protected LinearModel(string name, double l2, double l1, int maxIterations, double tolerance, bool fitIntercept)
    {
        Name = name;
        if (!(l2 >= 0) || !(l1 >= 0)) throw new ArgumentException($"{name}: l1 and l2 must be non-negative, got l1 {l1}, l2 {l2}");
        if (maxIterations < 1) throw new ArgumentException($"{name}: maxIterations must be positive, got {maxIterations}");
        if (!(tolerance > 0)) throw new ArgumentException($"{name}: tolerance must be positive, got {tolerance}");
        (L2, L1, MaxIterations, Tolerance, FitIntercept) = (l2, l1, maxIterations, tolerance, fitIntercept);
    }

    private protected string Name { get; }
    public double L2 { get; set; }
    public double L1 { get; set; }
    public int MaxIterations { get; }
    public double Tolerance { get; }
    public bool FitIntercept { get; }

    /// <summary>The fitted layer (null before Fit).</summary>
    public Linear? Layer { get; private set; }

    /// <summary>Iterations the last fit took.</summary>
    public int Iterations { get; private set; }

    /// <summary>Coefficients [outputs, features] (a copy).</summary>
    public Tensor Coefficients => (Layer ?? throw NotFitted()).Weight.Clone();

    /// <summary>Intercepts [outputs] (zeros without an intercept).</summary>
    public Tensor Intercept => Layer?.Bias?.Clone() ?? (Layer != null ? Tensor.Zeros(Layer.OutFeatures) : throw NotFitted());

    private protected InvalidOperationException NotFitted() => new($"{Name}: call Fit first");

    /// <summary>Curvature of the mean loss in units of λ_max(XᵀX)/n: 2 for squared error, ¼ for binary and ½ for softmax cross-entropy.</summary>
    private protected abstract double CurvatureScale { get; }

    private protected abstract ILoss Loss { get; }

    private protected void FitCore(Tensor x, Tensor targets, int outputs)
    {
        if (x.Rank != 2) throw new ArgumentException($"{Name}: X must be [samples, features], got {Shape.Format(x.Shape)}");
        int n = x.Dim(0), d = x.Dim(1);
        if (Layer == null || Layer.InFeatures != d || Layer.OutFeatures != outputs)
        {
            Layer = new Linear(d, outputs, bias: FitIntercept, generator: new Generator(0));
            using (Autograd.NoGrad())
            {
                Layer.Weight.CopyFrom(Tensor.Zeros(outputs, d));
                Layer.Bias?.CopyFrom(Tensor.Zeros(outputs));
            }
        }
        double lipschitz = CurvatureScale * LargestEigenvalue(x) / n + 2 * L2 + 1e-12;
        double step = 1 / lipschitz;
        var weight = Layer.Weight;
        var groups = new List<ParameterGroup> { new([weight], "coefficients") };
        if (Layer.Bias != null) groups.Add(new ParameterGroup([Layer.Bias], "intercept"));
        var optimizer = new SGD(groups, lr: step);
        var previous = new float[weight.Size];
        for (Iterations = 1; Iterations <= MaxIterations; Iterations++)
        {
            weight.Span.CopyTo(previous);
            optimizer.ZeroGrad();
            var loss = Loss.Forward(Layer.Forward(x), targets);
            if (L2 > 0) loss = loss + (weight * weight).Sum() * (float)L2;
            loss.Backward();
            optimizer.Step();
            if (L1 > 0) Optimizer.SoftThreshold(weight.Span, (float)(step * L1));
            double change = 0;
            var w = weight.Span;
            for (int i = 0; i < w.Length; i++) change = Math.Max(change, Math.Abs(w[i] - previous[i]));
            if (change < Tolerance) break;
        }
    }

    // λ_max(XᵀX) by power iteration (30 steps are plenty for a step-size bound; scaled up slightly for safety).
    static double LargestEigenvalue(Tensor x)
    {
        using var _ = Autograd.NoGrad();
        var v = Tensor.Ones(x.Dim(1), 1);
        double lambda = 0;
        for (int i = 0; i < 30; i++)
        {
            var u = x.MatMul(v);
            var w = x.Transpose(0, 1).MatMul(u);
            double norm = Math.Sqrt(w.Pow(2f).Sum().Item());
            if (norm == 0) return 0;
            lambda = norm / Math.Sqrt(v.Pow(2f).Sum().Item());
            v = w / (float)norm;
        }
        return lambda * 1.05;
    }
}

/// <summary>Least squares with optional L2 (ridge) and L1 (lasso) penalties: mean (Xw + b − y)² + l2·Σw² + l1·Σ|w|.</summary>
public sealed class LinearRegression(double l2 = 0, double l1 = 0, int maxIterations = 5000, double tolerance = 1e-7, bool fitIntercept = true)
    : LinearModel("LinearRegression", l2, l1, maxIterations, tolerance, fitIntercept)
{
    private protected override double CurvatureScale => 2;
    private protected override ILoss Loss { get; } = new MSELoss();

    /// <summary>Fits y [samples] (or [samples, outputs]) on X [samples, features].</summary>
    public LinearRegression Fit(Tensor x, Tensor y)
    {
        ArgumentNullException.ThrowIfNull(x);
        ArgumentNullException.ThrowIfNull(y);
        if (y.Dim(0) != x.Dim(0)) throw new ArgumentException($"LinearRegression: X has {x.Dim(0)} rows but y has {y.Dim(0)}");
        var targets = y.Rank == 1 ? y.Reshape(-1, 1) : y;
        FitCore(x, targets, targets.Dim(1));
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

    private protected override double CurvatureScale => _classes == 2 ? 0.25 : 0.5;
    private protected override ILoss Loss => _classes == 2 ? new BCEWithLogitsLoss() : new CrossEntropyLoss();

    /// <summary>Number of classes seen by Fit.</summary>
    public int Classes => _classes;

    /// <summary>Fits class indices y [samples] (0 … C−1, stored as floats) on X [samples, features].</summary>
    public LogisticRegression Fit(Tensor x, Tensor y)
    {
        ArgumentNullException.ThrowIfNull(x);
        ArgumentNullException.ThrowIfNull(y);
        if (y.Rank != 1 || y.Dim(0) != x.Dim(0)) throw new ArgumentException($"LogisticRegression: y must be [{x.Dim(0)}] class indices, got {Shape.Format(y.Shape)}");
        var labels = y.ToArray();
        if (labels.Any(v => v != MathF.Floor(v) || v < 0)) throw new ArgumentException("LogisticRegression: y must hold non-negative integer class indices");
        int classes = (int)labels.Max() + 1;
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
