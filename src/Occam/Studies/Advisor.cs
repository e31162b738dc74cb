using System.Globalization;
using System.Text;

namespace Occam.Studies;

/// <summary>
/// Reads learning curves (one logs dictionary per epoch, as <see cref="Training.History"/> or a Keras
/// <c>CSVLogger</c> file holds them) and says whether the model overfits, underfits or fits well, and what to change.
/// The reading follows the usual practice (Goodfellow et al., <i>Deep Learning</i> §7; the TensorFlow tutorial
/// "Overfit and underfit"): compare training with validation at the end of training, and watch where the validation
/// loss bottoms out. "Final" values are the mean of the last <see cref="SmoothingEpochs"/> epochs, so that one noisy
/// epoch does not decide. Accuracies may be fractions or percentages (a column whose values exceed 1 is read as %).
/// <list type="bullet">
/// <item><b>overfitting</b>: final training accuracy exceeds validation accuracy by more than <see cref="GapThreshold"/>
/// (5 points), or, without accuracies, final validation loss exceeds <see cref="LossRatioThreshold"/>× the training loss;
/// or the validation loss has risen more than <see cref="ValLossRiseThreshold"/> (10%) above its minimum while the
/// training loss kept falling.</item>
/// <item><b>underfitting</b> (when not overfitting): the model does not fit its own training data — final training
/// accuracy below <see cref="LowTrainAccuracy"/> (80%), or, without accuracies, a training loss that has plateaued
/// (less than <see cref="PlateauChange"/> = 1% relative change over the last third of the epochs) above
/// <see cref="HighLossFraction"/> (half) of its first-epoch value — or training stopped while both curves were still
/// improving (best validation epoch is the last, training loss fell by more than <see cref="StillFallingChange"/> = 2%
/// over the last quarter).</item>
/// <item><b>good-fit</b> otherwise.</item>
/// <item><b>diverged</b>, before any of these: the last epoch's training or validation loss is NaN or infinite.</item>
/// </list>
/// Recommendation values: <c>weight_decay</c> is the decoupled (AdamW) λ; <c>dropout</c> the drop probability p;
/// <c>label_smoothing</c> ε; <c>early_stopping</c> the number of epochs to train, i.e. the best epoch counted from 1
/// (the advice's <see cref="Advice.BestEpoch"/> is 0-based, as Keras numbers epochs in CSVLogger files; the reading
/// counts epochs from 1, as people do);
/// <c>more_data</c> and <c>increase_capacity</c> a growth factor (of the training set, of the hidden widths);
/// <c>reduce_regularization</c> (never for a run known to have none) and <c>lower_learning_rate</c> the factor to
/// multiply the current strengths or learning rate by; <c>train_longer</c> the suggested total number of epochs. Overfitting strengths scale with the
/// severity: mild (gap up to 10 points), moderate (up to 20), severe (above). The validation loss "has risen" only after
/// its best epoch: the mean of the epochs after it (the last <see cref="SmoothingEpochs"/> at most) against the minimum.
/// </summary>
public static class Advisor
{
    /// <summary>Accuracy gap (train − validation, as a fraction) above which the model overfits: 5 points.</summary>
    public const double GapThreshold = 0.05;

    /// <summary>Without accuracies: validation/training loss ratio above which the model overfits.</summary>
    public const double LossRatioThreshold = 1.5;

    /// <summary>Relative rise of the final validation loss above its minimum that signals overfitting.</summary>
    public const double ValLossRiseThreshold = 0.10;

    /// <summary>Final training accuracy below which the model does not fit its own training data.</summary>
    public const double LowTrainAccuracy = 0.80;

    /// <summary>Without accuracies: a plateaued training loss above this fraction of its first value is "high".</summary>
    public const double HighLossFraction = 0.5;

    /// <summary>Relative change of the training loss over the last third of the epochs below which it has plateaued.</summary>
    public const double PlateauChange = 0.01;

    /// <summary>Relative fall of the training loss over the last quarter of the epochs above which it is still falling.</summary>
    public const double StillFallingChange = 0.02;

    /// <summary>Epochs averaged for the "final" values.</summary>
    public const int SmoothingEpochs = 3;

    /// <summary>Margin (a fraction) by which validation accuracy must beat training accuracy to count as beating it.</summary>
    public const double ValidationBeatsMargin = 0.02;

    static readonly string[] AccuracyKeys = ["accuracy", "acc", "categorical_accuracy", "sparse_categorical_accuracy", "binary_accuracy"];

    /// <summary>Diagnoses the curves and recommends changes. Needs a training metric ("loss" or "accuracy") and a
    /// validation one ("val_loss" or "val_accuracy"); throws <see cref="ArgumentException"/> saying what is missing.
    /// <paramref name="regularized"/> says whether the run had any regularization to reduce (dropout, weight decay,
    /// L1/L2, label smoothing, augmentation): false leaves out <c>reduce_regularization</c>; null (unknown) keeps it.</summary>
    public static Advice Diagnose(IReadOnlyList<IReadOnlyDictionary<string, double>> epochs, bool? regularized = null)
    {
        ArgumentNullException.ThrowIfNull(epochs);
        if (epochs.Count == 0) throw new ArgumentException("Advisor: the history holds no epochs");
        var keys = epochs.SelectMany(e => e.Where(kv => double.IsFinite(kv.Value)).Select(kv => kv.Key)).ToHashSet();
        if (MissingColumns(keys) is string missing) throw new ArgumentException($"Advisor: {missing}");
        return new Curves(epochs, regularized).Advise();
    }

    /// <summary>Reads an Occam history CSV or any Keras <c>CSVLogger</c> file (separator ',', ';' or tab; header row;
    /// columns such as <c>epoch, loss, accuracy, val_loss, val_accuracy</c>, others kept; empty cells, and non-numeric
    /// cells of columns the advisor does not read, skipped) into one dictionary per row, without the "epoch" column.
    /// Throws when the file is missing, empty, has no validation column (val_loss or val_accuracy), or has a cell of a
    /// loss or accuracy column that is not a number, naming the file, the row and the column.</summary>
    public static List<IReadOnlyDictionary<string, double>> ReadHistoryCsv(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        if (!File.Exists(path)) throw new FileNotFoundException($"Advisor: '{path}' does not exist", path);
        // a NUL or another control character (tab, CR and LF aside) marks a binary file, whose bytes an error must not echo
        string text = File.ReadAllText(path);
        if (text.Any(c => char.IsControl(c) && c is not ('\t' or '\r' or '\n')))
            throw new InvalidDataException($"Advisor: '{path}' is not a text file; expected a history CSV with a header row such as 'epoch,loss,accuracy,val_loss,val_accuracy'");
        var lines = text.ReplaceLineEndings("\n").Split('\n').Where(l => l.Trim().Length > 0).ToList();
        if (lines.Count == 0) throw new InvalidDataException($"Advisor: '{path}' is empty; expected a header row such as 'epoch,loss,accuracy,val_loss,val_accuracy' and one row per epoch");
        string headerLine = lines[0].TrimStart('\uFEFF');
        char separator = headerLine.Contains(',') ? ',' : headerLine.Contains(';') ? ';' : headerLine.Contains('\t') ? '\t' : ',';
        var header = SplitCsv(headerLine, separator).Select(h => h.Trim()).ToArray();
        var epochs = new List<IReadOnlyDictionary<string, double>>();
        foreach (var (line, index) in lines.Skip(1).Select((l, i) => (l, i)))
        {
            var cells = SplitCsv(line, separator);
            var row = new Dictionary<string, double>();
            for (int c = 0; c < header.Length && c < cells.Count; c++)
            {
                if (header[c] == "epoch" || header[c].Length == 0) continue;
                string cell = cells[c].Trim();
                if (double.TryParse(cell, NumberStyles.Float, CultureInfo.InvariantCulture, out double v)) row[header[c]] = v;
                else if (cell.Length > 0 && IsCurve(header[c]))
                    throw new InvalidDataException($"Advisor: '{path}', row {index + 1}: the {header[c]} cell '{cell}' is not a number");
            }
            epochs.Add(row);
        }
        if (epochs.Count == 0) throw new InvalidDataException($"Advisor: '{path}' has a header but no epoch rows");
        var present = epochs.SelectMany(e => e.Keys).ToHashSet();
        if (MissingColumns(present) is string missing)
            throw new InvalidDataException($"Advisor: '{path}': {missing} (it has {string.Join(", ", header)})");
        return epochs;
    }

    // The columns the advisor reads.
    static bool IsCurve(string column) =>
        column is "loss" or "val_loss" || AccuracyKeys.Contains(column) || AccuracyKeys.Any(k => column == "val_" + k);

    /// <summary>What the advisor cannot do without, or null when the columns suffice.</summary>
    static string? MissingColumns(HashSet<string> keys)
    {
        bool trainAcc = AccuracyKeys.Any(keys.Contains), valAcc = AccuracyKeys.Any(k => keys.Contains("val_" + k));
        if (!keys.Contains("val_loss") && !valAcc)
            return "the history has no validation columns; the advisor compares training with validation curves, so it needs " +
                "'val_loss' or 'val_accuracy' (Keras: fit with validation_data or validation_split; Occam: pass a validation set)";
        if (!keys.Contains("loss") && !trainAcc)
            return "the history has no training columns; the advisor needs 'loss' or 'accuracy' next to the validation ones";
        return null;
    }

    /// <summary>Splits one CSV line, honouring double quotes (Keras quotes cells that hold lists).</summary>
    static List<string> SplitCsv(string line, char separator)
    {
        var cells = new List<string>();
        var cell = new StringBuilder();
        bool quoted = false;
        for (int i = 0; i < line.Length; i++)
        {
            char ch = line[i];
            if (quoted)
            {
                if (ch == '"' && i + 1 < line.Length && line[i + 1] == '"') { cell.Append('"'); i++; }
                else if (ch == '"') quoted = false;
                else cell.Append(ch);
            }
            else if (ch == '"') quoted = true;
            else if (ch == separator) { cells.Add(cell.ToString()); cell.Clear(); }
            else cell.Append(ch);
        }
        cells.Add(cell.ToString());
        return cells;
    }

    enum Severity { Mild, Moderate, Severe }

    /// <summary>The curves of one history and the reading of them.</summary>
    sealed class Curves
    {
        readonly int _n;
        readonly double[] _loss, _valLoss, _acc, _valAcc;
        readonly bool _hasLoss, _hasValLoss, _hasAcc;
        readonly string? _diverged; // the loss whose last value is NaN or infinite
        readonly bool? _regularized;

        public Curves(IReadOnlyList<IReadOnlyDictionary<string, double>> epochs, bool? regularized)
        {
            _regularized = regularized;
            _n = epochs.Count;
            _loss = Series(epochs, "loss");
            _valLoss = Series(epochs, "val_loss");
            _acc = Series(epochs, AccuracyKeys);
            _valAcc = Series(epochs, AccuracyKeys.Select(k => "val_" + k).ToArray());
            // One scale for both accuracies: a percentage in either column makes both percentages.
            if (_acc.Concat(_valAcc).Where(double.IsFinite).DefaultIfEmpty(0).Max() > 1.0 + 1e-9)
            {
                for (int i = 0; i < _n; i++) { _acc[i] /= 100; _valAcc[i] /= 100; }
            }
            _hasLoss = _loss.Any(double.IsFinite);
            _hasValLoss = _valLoss.Any(double.IsFinite);
            // Accuracy decides only when both sides have it.
            _hasAcc = _acc.Any(double.IsFinite) && _valAcc.Any(double.IsFinite);
            foreach (var key in new[] { "loss", "val_loss" })
                if (epochs[^1].TryGetValue(key, out var last) && !double.IsFinite(last)) { _diverged ??= key; }
        }

        static double[] Series(IReadOnlyList<IReadOnlyDictionary<string, double>> epochs, params string[] keys)
        {
            foreach (var key in keys)
                if (epochs.Any(e => e.TryGetValue(key, out var v) && double.IsFinite(v)))
                    return epochs.Select(e => e.TryGetValue(key, out var v) && double.IsFinite(v) ? v : double.NaN).ToArray();
            return Enumerable.Repeat(double.NaN, epochs.Count).ToArray();
        }

        /// <summary>Mean of the finite values among epochs [from, to).</summary>
        static double Mean(double[] s, int from, int to)
        {
            double sum = 0;
            int count = 0;
            for (int i = Math.Max(0, from); i < Math.Min(s.Length, to); i++)
                if (double.IsFinite(s[i])) { sum += s[i]; count++; }
            return count > 0 ? sum / count : double.NaN;
        }

        double Final(double[] s) => Mean(s, _n - SmoothingEpochs, _n) is var m && double.IsFinite(m) ? m : Last(s);

        /// <summary>How many epochs <see cref="Final"/> averages.</summary>
        int FinalEpochs => Math.Min(_n, SmoothingEpochs);

        /// <summary>Whether validation accuracy beats training accuracy by more than <see cref="ValidationBeatsMargin"/>
        /// in a fair comparison: a history's training accuracy is the running mean over an epoch, taken while the
        /// weights still improve (mostly below the end-of-epoch model), and its validation accuracy is the end-of-epoch
        /// model's, so each of the last epochs' training accuracy is compared with the validation accuracy measured
        /// before it began (the previous epoch's). Needs two epochs.</summary>
        bool ValidationBeatsTraining()
        {
            if (!_hasAcc || _n < 2) return false;
            for (int i = Math.Max(1, _n - SmoothingEpochs); i < _n; i++)
                if (!(_acc[i] < _valAcc[i - 1] - ValidationBeatsMargin)) return false;
            return true;
        }

        static double First(double[] s) => s.FirstOrDefault(double.IsFinite, double.NaN);

        static double Last(double[] s) => s.LastOrDefault(double.IsFinite, double.NaN);

        /// <summary>The best epoch (0-based): lowest validation loss, as Keras's EarlyStopping monitors by default; by
        /// validation accuracy when no validation loss was logged. Ties go to the earliest.</summary>
        int BestEpoch()
        {
            var (s, sign) = _hasValLoss ? (_valLoss, 1.0) : (_valAcc, -1.0);
            int best = -1;
            for (int i = 0; i < _n; i++)
                if (double.IsFinite(s[i]) && (best < 0 || sign * s[i] < sign * s[best])) best = i;
            return Math.Max(best, 0);
        }

        /// <summary>Relative change (last − first)/|first| of the series over the last <paramref name="fraction"/> of
        /// the epochs (at least two epochs); NaN with fewer than three epochs.</summary>
        double TailChange(double[] s, double fraction)
        {
            if (_n < 3) return double.NaN;
            int window = Math.Max(2, (int)Math.Ceiling(_n * fraction));
            double start = s[_n - window], end = s[_n - 1];
            return double.IsFinite(start) && double.IsFinite(end) && start != 0 ? (end - start) / Math.Abs(start) : double.NaN;
        }

        static string Pct(double fraction) => (fraction * 100).ToString("0.0", CultureInfo.InvariantCulture) + "%";

        static string Num(double v) => Math.Round(v, 4).ToString("G4", CultureInfo.InvariantCulture);

        public Advice Advise()
        {
            int best = BestEpoch();
            double trainAcc = Final(_acc), valAcc = Final(_valAcc), trainLoss = Final(_loss), valLoss = Final(_valLoss);
            double gap = _hasAcc ? trainAcc - valAcc : double.NaN;
            double ratio = _hasLoss && _hasValLoss && trainLoss > 0 ? valLoss / trainLoss : double.NaN;
            double minValLoss = _hasValLoss ? _valLoss.Where(double.IsFinite).Min() : double.NaN;
            // How far the validation loss came back up after its best epoch (the epochs after it, the last few at most).
            double afterBest = best < _n - 1 ? Mean(_valLoss, Math.Max(best + 1, _n - SmoothingEpochs), _n) : minValLoss;
            double rise = _hasValLoss && minValLoss > 0 ? (afterBest - minValLoss) / minValLoss : double.NaN;
            // The rise counts only when training kept improving past the best epoch (not a blow-up of both curves).
            bool trainKeptFalling = !_hasLoss || Final(_loss) < _loss[best] || !double.IsFinite(_loss[best]);
            bool rising = rise > ValLossRiseThreshold && best < _n - 1 && trainKeptFalling;

            var reading = new StringBuilder();
            if (_diverged != null)
            {
                reading.Append(CultureInfo.InvariantCulture,
                    $"The last epoch's {(_diverged == "loss" ? "training" : "validation")} loss is not a number: training diverged");
                if (_hasValLoss) reading.Append(CultureInfo.InvariantCulture, $" (validation loss was lowest, {Num(minValLoss)}, at epoch {best + 1} of {_n})");
                reading.Append(". The curves say nothing about over- or underfitting until training is stable.");
                return new Advice("diverged", best, Diverged(), reading.ToString());
            }

            // The reading quotes the last epoch; the decisions use the smoothed final values.
            if (_hasAcc)
                reading.Append(CultureInfo.InvariantCulture,
                    $"Last epoch: training accuracy {Pct(Last(_acc))}, validation {Pct(Last(_valAcc))} (gap {Num((Last(_acc) - Last(_valAcc)) * 100)} points). ");
            if (_hasLoss && _hasValLoss) reading.Append(CultureInfo.InvariantCulture, $"Last epoch: training loss {Num(Last(_loss))}, validation {Num(Last(_valLoss))}. ");
            if (_hasValLoss)
                reading.Append(CultureInfo.InvariantCulture, $"Validation loss was lowest ({Num(minValLoss)}) at epoch {best + 1} of {_n}")
                    .Append(rise > 0.005 ? $" and has since risen {Pct(rise)}. " : ". ");
            else reading.Append(CultureInfo.InvariantCulture, $"Validation accuracy was highest at epoch {best + 1} of {_n}. ");

            bool overfit = _hasAcc ? gap > GapThreshold || rising : ratio > LossRatioThreshold || rising;
            if (overfit)
            {
                var severity = _hasAcc
                    ? gap > 0.20 ? Severity.Severe : gap > 0.10 ? Severity.Moderate : Severity.Mild
                    : ratio > 4 ? Severity.Severe : ratio > 2 ? Severity.Moderate : Severity.Mild;
                if (rising && rise > 0.25 && severity == Severity.Mild) severity = Severity.Moderate;
                // When only the validation loss says so, the symptom quoted is its rise, not a gap that is small or negative.
                bool lossOnly = !(_hasAcc ? gap > GapThreshold : ratio > LossRatioThreshold);
                string symptom = lossOnly
                    ? $"validation loss rose {Pct(rise)} after its lowest at epoch {best + 1} of {_n}{(_hasLoss ? " while the training loss kept falling" : "")}"
                    : _hasAcc
                        ? $"over the last epochs training accuracy exceeds validation by {Num(gap * 100)} points"
                        : $"validation loss is {Num(ratio)}× the training loss";
                reading.Append(lossOnly
                    ? $"Overfitting ({severity.ToString().ToLowerInvariant()}) seen in the loss: the {symptom}" +
                      (!_hasAcc ? "." : gap > 0 ? $", though the accuracy gap is only {Num(gap * 100)} points." : $", though training accuracy does not exceed validation (gap {Num(gap * 100)} points).")
                    : $"The model fits its training data better than it generalizes: overfitting ({severity.ToString().ToLowerInvariant()}).");
                return new Advice("overfitting", best, Overfitting(best, severity, symptom, rise), reading.ToString());
            }

            double trainChange = TailChange(_loss, 1.0 / 4);
            double valChange = _hasValLoss ? TailChange(_valLoss, 1.0 / 4) : -TailChange(_valAcc, 1.0 / 4);
            bool stillImproving = best == _n - 1 && trainChange < -StillFallingChange && valChange < -PlateauChange;
            double plateau = TailChange(_loss, 1.0 / 3);
            bool lowFit = _hasAcc
                ? trainAcc < LowTrainAccuracy
                : Math.Abs(plateau) < PlateauChange && trainLoss > HighLossFraction * First(_loss);
            if (lowFit || stillImproving)
            {
                if (lowFit)
                    reading.Append(_hasAcc
                        ? $"Training accuracy averages {Pct(trainAcc)} over the last {FinalEpochs} epoch{(FinalEpochs == 1 ? "" : "s")}, below {Pct(LowTrainAccuracy)}: the model does not fit its own training data. "
                        : $"Training loss has plateaued at {Pct(trainLoss / First(_loss))} of its first value: the model does not fit its own training data. ");
                if (stillImproving) reading.Append("Both curves were still improving when training stopped. ");
                reading.Append("Underfitting.");
                return new Advice("underfitting", best, Underfitting(lowFit, stillImproving), reading.ToString());
            }

            reading.Append("Training and validation agree and the model fits its training data: a good fit.");
            var recs = new List<Recommendation>();
            if (best < _n - 1)
                recs.Add(new Recommendation("early_stopping", best + 1,
                    $"validation loss was best at epoch {best + 1} of {_n}; stop there (EarlyStopping(patience: 5, restoreBestWeights: true)) to keep the best weights and save {_n - 1 - best} epochs"));
            return new Advice("good-fit", best, recs, reading.ToString());
        }

        static List<Recommendation> Diverged() =>
        [
            new("lower_learning_rate", 0.1, "the loss became NaN or infinite: multiply the learning rate by the value (or warm it up over the first epochs) so the updates stay finite"),
            new("gradient_clipping", 1.0, "clip the gradients' global norm to the value (ClipGradNorm) so one bad batch cannot blow up the weights"),
        ];

        List<Recommendation> Overfitting(int best, Severity severity, string symptom, double rise)
        {
            int s = (int)severity;
            var recs = new List<Recommendation>
            {
                new("early_stopping", best + 1, best < _n - 1
                    ? $"validation loss was best at epoch {best + 1} of {_n} and rose {Pct(Math.Max(rise, 0))} after it while training kept improving; train {best + 1} epochs, or monitor val_loss with patience 5 and restore the best weights"
                    : $"validation is still at its best at the last epoch ({best + 1}); monitor val_loss with patience 5 and restore the best weights so training stops when it turns"),
                new("weight_decay", new[] { 0.01, 0.05, 0.1 }[s],
                    $"{symptom}; decoupled weight decay (AdamW λ) shrinks every weight each step and limits how sharply the model can fit individual examples (coupled SGD/Adam: about 5e-4; fine-tuning: decay toward the pretrained weights)"),
                new("dropout", new[] { 0.2, 0.3, 0.5 }[s],
                    "dropout on the hidden layers (p = value; about half that after convolutions) stops units from co-adapting to memorize training examples"),
            };
            if (_hasAcc || severity == Severity.Severe)
                recs.Add(new("augmentation", null, _hasAcc
                    ? "augment the training inputs (images: RandomCrop with padding 4, horizontal flip where labels allow; MixUp α = 0.2) so the model sees a larger, varied training set"
                    : "add input noise (GaussianNoise, std about 0.1 of the feature scale) so the model cannot fit exact training points"));
            if (_hasAcc)
                recs.Add(new("label_smoothing", 0.1,
                    "label smoothing ε = 0.1 keeps the network from driving training predictions to full confidence, which a rising validation loss often reflects"));
            if (severity >= Severity.Moderate)
                recs.Add(new("more_data", 2,
                    "the gap shrinks as the training set grows; collecting or labeling twice as many examples (value: factor) is the most reliable regularizer"));
            return recs;
        }

        List<Recommendation> Underfitting(bool lowFit, bool stillImproving)
        {
            var recs = new List<Recommendation>();
            if (stillImproving)
                recs.Add(new("train_longer", Math.Max(2 * _n, _n + 10),
                    $"training and validation loss were both still falling at the last epoch ({_n}); train for more epochs (value: total) with early stopping on val_loss"));
            if (lowFit)
            {
                if (_regularized != false)
                    recs.Add(new("reduce_regularization", 0.5,
                        (ValidationBeatsTraining() ? $"validation accuracy beats training by more than {Num(ValidationBeatsMargin * 100)} points in each of the last epochs, even against the validation measured before each epoch's updates, a sign of strong dropout or augmentation (active in training only); " : "") +
                        "halve the regularization strengths (dropout p, weight decay λ, L1/L2 coefficients; value: factor) so the model can fit the training data"));
                recs.Add(new("increase_capacity", 2,
                    "the model cannot fit its training data; double the hidden widths or add a layer (value: width factor)"));
                recs.Add(new("batch_norm", null,
                    "batch normalization after each hidden linear or convolution layer eases optimization and lets a deeper model fit"));
                if (Oscillates())
                    recs.Add(new("lower_learning_rate", 0.1,
                        "the training loss goes up in many epochs; multiply the learning rate by the value (or use ReduceLROnPlateau) so the optimizer can settle"));
                else if (!stillImproving)
                    recs.Add(new("train_longer", Math.Max(2 * _n, _n + 10),
                        "after the changes above, train for more epochs (value: total) with early stopping on val_loss"));
            }
            return recs;
        }

        /// <summary>True when the training loss rose by more than 1% in at least 30% of the epoch transitions.</summary>
        bool Oscillates()
        {
            if (_n < 4) return false;
            int ups = 0;
            for (int i = 1; i < _n; i++)
                if (_loss[i] > _loss[i - 1] * 1.01) ups++;
            return ups >= 0.3 * (_n - 1);
        }
    }
}
