namespace Occam.Data;

/// <summary>Random splits of a dataset into disjoint subsets.</summary>
public static class Splits
{
    /// <summary>
    /// Splits off round(fraction · n) examples for validation, chosen at random with <paramref name="generator"/>.
    /// With <paramref name="stratify"/> (as scikit-learn's train_test_split(stratify=y)) each class — targets are
    /// class indices — gives validation its share of those examples: fraction · (its size), rounded down, and the
    /// examples left over go one each to the classes with the largest remainders (ties to the larger class, then
    /// the lower class index), so both parts keep the class balance and the total is still round(fraction · n).
    /// Indices in each subset are ascending (dataset order); a DataLoader shuffles them.
    /// </summary>
    public static (Subset Train, Subset Validation) TrainValidation(IDataset dataset, double validationFraction, Generator generator, bool stratify = true)
    {
        ArgumentNullException.ThrowIfNull(dataset);
        ArgumentNullException.ThrowIfNull(generator);
        if (!(validationFraction > 0 && validationFraction < 1))
            throw new ArgumentException($"Splits.TrainValidation: validationFraction must be in (0, 1), got {validationFraction}", nameof(validationFraction));
        int n = dataset.Count;
        // Checked here because the shares below divide by n.
        if (n == 0) throw new ArgumentException("Splits.TrainValidation: the dataset has 0 examples; there is nothing to split", nameof(dataset));
        var groups = stratify ? ByClass(dataset) : [Enumerable.Range(0, n).ToArray()];
        var takes = Shares(groups.Select(g => g.Length).ToArray(), (int)Math.Round(n * validationFraction, MidpointRounding.AwayFromZero));
        var train = new List<int>(n);
        var validation = new List<int>();
        for (int c = 0; c < groups.Count; c++)
        {
            var group = groups[c];
            generator.Shuffle(group.AsSpan());
            validation.AddRange(group.AsSpan(0, takes[c]));
            train.AddRange(group.AsSpan(takes[c]));
        }
        if (train.Count == 0 || validation.Count == 0)
            throw new ArgumentException($"Splits.TrainValidation: validationFraction {validationFraction} of {n} examples leaves {train.Count} for training and {validation.Count} for validation; both must be non-empty");
        train.Sort();
        validation.Sort();
        return (new Subset(dataset, train.ToArray()), new Subset(dataset, validation.ToArray()));
    }

    /// <summary>total shared out in proportion to sizes: each floor(total · size / Σ sizes), then one more each to the
    /// largest remainders (ties to the larger size, then the lower index).</summary>
    static int[] Shares(int[] sizes, int total)
    {
        long sum = sizes.Sum(s => (long)s);
        var takes = new int[sizes.Length];
        var remainders = new long[sizes.Length];
        for (int i = 0; i < sizes.Length; i++)
        {
            long exact = (long)total * sizes[i]; // the share is exact / sum
            takes[i] = (int)(exact / sum);
            remainders[i] = exact % sum;
        }
        int left = total - takes.Sum();
        foreach (int i in Enumerable.Range(0, sizes.Length).OrderByDescending(i => remainders[i]).ThenByDescending(i => sizes[i]).ThenBy(i => i).Take(left))
            takes[i]++;
        return takes;
    }

    /// <summary>Example indices grouped by class, classes in ascending order.</summary>
    static List<int[]> ByClass(IDataset dataset)
    {
        var classes = new SortedDictionary<int, List<int>>();
        for (int i = 0; i < dataset.Count; i++)
        {
            float label = ClassIndex(dataset, i);
            if (!(label >= 0 && label <= int.MaxValue) || label != MathF.Floor(label))
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
