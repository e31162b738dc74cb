namespace Occam.Data;

/// <summary>Random splits of a dataset into disjoint subsets.</summary>
public static class Splits
{
    /// <summary>
    /// Splits off round(fraction · n) examples for validation, chosen at random with <paramref name="generator"/>.
    /// With <paramref name="stratify"/> (as scikit-learn's train_test_split(stratify=y)) each class — targets are
    /// class indices — is split on its own in the same proportion, so both parts keep the class balance.
    /// Indices in each subset are ascending (dataset order); a DataLoader shuffles them.
    /// </summary>
    public static (Subset Train, Subset Validation) TrainValidation(IDataset dataset, double validationFraction, Generator generator, bool stratify = true)
    {
        ArgumentNullException.ThrowIfNull(dataset);
        ArgumentNullException.ThrowIfNull(generator);
        if (!(validationFraction > 0 && validationFraction < 1))
            throw new ArgumentException($"Splits.TrainValidation: validationFraction must be in (0, 1), got {validationFraction}", nameof(validationFraction));
        int n = dataset.Count;
        var groups = stratify ? ByClass(dataset) : [Enumerable.Range(0, n).ToArray()];
        var train = new List<int>(n);
        var validation = new List<int>();
        foreach (var group in groups)
        {
            generator.Shuffle(group.AsSpan());
            int take = (int)Math.Round(group.Length * validationFraction, MidpointRounding.AwayFromZero);
            validation.AddRange(group.AsSpan(0, take));
            train.AddRange(group.AsSpan(take));
        }
        if (train.Count == 0 || validation.Count == 0)
            throw new ArgumentException($"Splits.TrainValidation: validationFraction {validationFraction} of {n} examples leaves {train.Count} for training and {validation.Count} for validation; both must be non-empty");
        train.Sort();
        validation.Sort();
        return (new Subset(dataset, train.ToArray()), new Subset(dataset, validation.ToArray()));
    }

    /// <summary>Example indices grouped by class, classes in ascending order.</summary>
    static List<int[]> ByClass(IDataset dataset)
    {
        var classes = new SortedDictionary<int, List<int>>();
        for (int i = 0; i < dataset.Count; i++)
        {
            float label = ClassIndex(dataset, i);
            if (label < 0 || label != MathF.Floor(label))
                throw new ArgumentException($"Splits.TrainValidation: stratify needs class-index targets, but example {i} has target {label}; pass stratify: false");
            if (!classes.TryGetValue((int)label, out var members)) classes[(int)label] = members = [];
            members.Add(i);
        }
        return classes.Values.Select(m => m.ToArray()).ToList();
    }

    static float ClassIndex(IDataset dataset, int index)
    {
        if (TensorDataset.TryResolve(dataset, index, out var source, out int row))
        {
            var target = source.TargetRow(row);
            if (target.Length == 1) return target[0];
        }
        else
        {
            var (_, target) = dataset.Get(index);
            if (target.Size == 1) return target.Span[0];
        }
        throw new ArgumentException($"Splits.TrainValidation: stratify needs one class index per example, but example {index} has a target with several values; pass stratify: false");
    }
}
