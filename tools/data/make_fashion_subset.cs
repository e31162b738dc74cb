// Makes the Fashion-MNIST subset embedded in the Occam assembly (see data/README.md):
// the first 600 training images of each class and the first 200 test images of each class, in file order,
// written as IDX files compressed with Brotli (quality 11, 16 MiB window).
//
//   dotnet run tools/data/make_fashion_subset.cs [source-dir] [output-dir]
//
// source-dir defaults to /usr/share/datasets/fashion-mnist (Debian's dataset-fashion-mnist),
// output-dir to data/fashion-mnist-subset.
using System.Buffers.Binary;
using System.IO.Compression;

string source = args.Length > 0 ? args[0] : "/usr/share/datasets/fashion-mnist";
string output = args.Length > 1 ? args[1] : "data/fashion-mnist-subset";
Directory.CreateDirectory(output);
Subset("train", 600);
Subset("t10k", 200);

void Subset(string split, int perClass)
{
    var (images, imageDims) = ReadIdx(Path.Combine(source, $"{split}-images-idx3-ubyte.gz"), 0x0803);
    var (labels, _) = ReadIdx(Path.Combine(source, $"{split}-labels-idx1-ubyte.gz"), 0x0801);
    int pixels = imageDims[1] * imageDims[2];
    var taken = new int[10];
    var keep = new List<int>();
    for (int i = 0; i < labels.Length; i++)
        if (taken[labels[i]]++ < perClass) keep.Add(i);
    if (keep.Count != 10 * perClass) throw new InvalidDataException($"{split}: found only {keep.Count} of {10 * perClass} images");

    var subImages = new byte[keep.Count * pixels];
    var subLabels = new byte[keep.Count];
    for (int k = 0; k < keep.Count; k++)
    {
        images.AsSpan(keep[k] * pixels, pixels).CopyTo(subImages.AsSpan(k * pixels));
        subLabels[k] = labels[keep[k]];
    }
    Write(Path.Combine(output, $"{split}-images-idx3-ubyte.br"), 0x0803, [keep.Count, imageDims[1], imageDims[2]], subImages);
    Write(Path.Combine(output, $"{split}-labels-idx1-ubyte.br"), 0x0801, [keep.Count], subLabels);
}

static (byte[] Data, int[] Dims) ReadIdx(string path, int magic)
{
    using var gz = new GZipStream(File.OpenRead(path), CompressionMode.Decompress);
    using var all = new MemoryStream();
    gz.CopyTo(all);
    var bytes = all.ToArray();
    if (BinaryPrimitives.ReadInt32BigEndian(bytes) != magic) throw new InvalidDataException($"{path}: magic is not {magic:X8}");
    int rank = magic & 0xFF;
    var dims = new int[rank];
    for (int i = 0; i < rank; i++) dims[i] = BinaryPrimitives.ReadInt32BigEndian(bytes.AsSpan(4 + 4 * i));
    return (bytes[(4 + 4 * rank)..], dims);
}

static void Write(string path, int magic, int[] dims, byte[] data)
{
    var idx = new byte[4 + 4 * dims.Length + data.Length];
    BinaryPrimitives.WriteInt32BigEndian(idx, magic);
    for (int i = 0; i < dims.Length; i++) BinaryPrimitives.WriteInt32BigEndian(idx.AsSpan(4 + 4 * i), dims[i]);
    data.CopyTo(idx, 4 + 4 * dims.Length);
    using var encoder = new BrotliEncoder(quality: 11, window: 24);
    var compressed = new byte[BrotliEncoder.GetMaxCompressedLength(idx.Length)];
    if (encoder.Compress(idx, compressed, out _, out int written, isFinalBlock: true) != System.Buffers.OperationStatus.Done)
        throw new InvalidOperationException($"{path}: Brotli compression did not finish");
    File.WriteAllBytes(path, compressed[..written]);
    Console.WriteLine($"{path}: {idx.Length} bytes as IDX, {written} compressed");
}
