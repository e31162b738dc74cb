using System.IO.Compression;
using Occam.Data.Readers;

namespace Occam.Data;

/// <summary>
/// Fashion-MNIST (Xiao, Rasul &amp; Vollgraf 2017, Zalando): 28×28 grayscale images of 10 kinds of clothing,
/// 60,000 for training and 10,000 for testing. Inputs are [1, 28, 28] floats in [0, 1] (pixel / 255), targets
/// 0-d class indices stored as floats (see <see cref="ClassNames"/>).
/// </summary>
public static class FashionMnist
{
    /// <summary>Where Debian's dataset-fashion-mnist package installs the files.</summary>
    public const string DefaultRoot = "/usr/share/datasets/fashion-mnist";

    /// <summary>The environment variable that overrides <see cref="DefaultRoot"/>.</summary>
    public const string RootVariable = "OCCAM_DATA";

    /// <summary>Class names by index.</summary>
    public static IReadOnlyList<string> ClassNames { get; } =
        ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"];

    /// <summary>
    /// The full dataset from the IDX files (gzipped or not) in <paramref name="root"/>, else in the directory named by
    /// the OCCAM_DATA environment variable, else in <see cref="DefaultRoot"/>. A root may also hold the files in a
    /// fashion-mnist/ subdirectory.
    /// </summary>
    public static (IDataset Train, IDataset Test) Load(string? root = null)
    {
        string directory = FindRoot(root);
        return (Split(directory, "train"), Split(directory, "t10k"));
    }

    /// <summary>
    /// A balanced subset embedded in the Occam assembly, needing no files: the first 600 training images of each
    /// class (6,000) and the first 200 test images of each class (2,000), in file order. Decoded once per process.
    /// </summary>
    public static (IDataset Train, IDataset Test) LoadEmbedded()
    {
        var (trainImages, trainLabels, testImages, testLabels) = Embedded.Value;
        return (Dataset(trainImages, trainLabels, "embedded train"), Dataset(testImages, testLabels, "embedded test"));
    }

    // The decoded IDX bytes are cached (6.3 MB); every call builds fresh float tensors, so a caller that
    // modifies its dataset never changes another's.
    static readonly Lazy<(IdxArray, IdxArray, IdxArray, IdxArray)> Embedded = new(() =>
        (Resource("train-images-idx3-ubyte"), Resource("train-labels-idx1-ubyte"),
         Resource("t10k-images-idx3-ubyte"), Resource("t10k-labels-idx1-ubyte")));

    static IdxArray Resource(string file)
    {
        string name = $"Occam.Data.FashionMnist.{file}.br";
        using var stream = typeof(FashionMnist).Assembly.GetManifestResourceStream(name)
            ?? throw new InvalidOperationException($"FashionMnist.LoadEmbedded: resource {name} is missing from the Occam assembly");
        using var brotli = new BrotliStream(stream, CompressionMode.Decompress);
        return Idx.ReadArray(brotli, name);
    }

    static string FindRoot(string? root)
    {
        string? variable = Environment.GetEnvironmentVariable(RootVariable);
        string chosen = root ?? (string.IsNullOrEmpty(variable) ? DefaultRoot : variable);
        string source = root != null ? "the root argument" : string.IsNullOrEmpty(variable) ? "the default location" : $"{RootVariable}";
        foreach (var candidate in new[] { chosen, Path.Combine(chosen, "fashion-mnist") })
            if (FindFile(candidate, "train-images-idx3-ubyte") != null) return candidate;
        throw new FileNotFoundException(
            $"FashionMnist.Load: no Fashion-MNIST files (train-images-idx3-ubyte[.gz] and the others) in {chosen} ({source}). " +
            $"Install them with `apt-get install dataset-fashion-mnist` (into {DefaultRoot}), or set {RootVariable} or pass the root " +
            "to a directory that holds them; FashionMnist.LoadEmbedded() needs no files.");
    }

    static string? FindFile(string directory, string file)
    {
        foreach (var name in new[] { file + ".gz", file })
        {
            string path = Path.Combine(directory, name);
            if (File.Exists(path)) return path;
        }
        return null;
    }

    static TensorDataset Split(string directory, string split)
    {
        var images = ReadFile(directory, $"{split}-images-idx3-ubyte");
        var labels = ReadFile(directory, $"{split}-labels-idx1-ubyte");
        return Dataset(images, labels, Path.Combine(directory, split));
    }

    static IdxArray ReadFile(string directory, string file)
    {
        string path = FindFile(directory, file) ?? throw new FileNotFoundException($"FashionMnist.Load: {Path.Combine(directory, file)}[.gz] is missing", file);
        using var stream = File.OpenRead(path);
        return Idx.ReadArray(stream, path);
    }

    static TensorDataset Dataset(IdxArray images, IdxArray labels, string name)
    {
        if (images.DType != 0x08 || images.Shape is not [_, 28, 28])
            throw new InvalidDataException($"FashionMnist: {name} images should be uint8 [N, 28, 28], got dtype 0x{images.DType:X2} shape {Shape.Format(images.Shape)}");
        if (labels.DType != 0x08 || labels.Shape is not [_])
            throw new InvalidDataException($"FashionMnist: {name} labels should be uint8 [N], got dtype 0x{labels.DType:X2} shape {Shape.Format(labels.Shape)}");
        if (images.Shape[0] != labels.Shape[0])
            throw new InvalidDataException($"FashionMnist: {name} has {images.Shape[0]} images but {labels.Shape[0]} labels");
        foreach (byte label in labels.Data)
            if (label >= ClassNames.Count) throw new InvalidDataException($"FashionMnist: {name} has label {label}, outside 0..{ClassNames.Count - 1}");
        var inputs = Idx.ToTensor(images, 255f).Reshape(images.Shape[0], 1, 28, 28);
        return new TensorDataset(inputs, Idx.ToTensor(labels, 1f));
    }
}
