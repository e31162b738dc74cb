using Occam.Data;
using Occam.Data.Augment.Text;
using Occam.Losses;
using Occam.NN;
using Occam.Optim;
using Occam.Tests.Support;
using Occam.Training;

namespace Occam.Tests.NN;

public class EmbeddingBagTests
{
    static Tensor Ids(float[] ids, params int[] shape) => Tensor.FromArray(ids, shape);

    [Theory]
    [InlineData(EmbeddingBagMode.Sum)]
    [InlineData(EmbeddingBagMode.Mean)]
    [InlineData(EmbeddingBagMode.Max)]
    public void GradientsMatchFiniteDifferences(EmbeddingBagMode mode)
    {
        var weight = Tensor.RandN([7, 4], new Generator(3));
        var rows = Ids([1, 0, 3, 3, 5, 0, 0, 0, 0, 0, 2, 4, 0, 1, 6], 3, 5);
        GradCheck.Check(t => Functional.EmbeddingBag(rows, t[0], mode: mode, paddingIndex: 0) * t[1],
            weight, Tensor.RandN([3, 4], new Generator(4)));
        var flat = Ids([4, 1, 1, 6, 2, 0, 5, 3], 8);
        GradCheck.Check(t => Functional.EmbeddingBag(flat, t[0], Ids([0, 3, 3, 6], 4), mode) * t[1],
            weight, Tensor.RandN([4, 4], new Generator(5)));
    }

    [Fact]
    public void PerSampleWeightsGetAGradientToo() =>
        GradCheck.Check(t => Functional.EmbeddingBag(Ids([1, 0, 3, 3, 2, 4], 2, 3), t[0], mode: EmbeddingBagMode.Sum, paddingIndex: 0,
            perSampleWeights: t[1]) * t[2], Tensor.RandN([5, 3], new Generator(6)), Tensor.RandN([2, 3], new Generator(7)), Tensor.RandN([2, 3], new Generator(8)));

    [Fact]
    public void AFrozenTableStillGivesPerSampleWeightsTheirGradientAndNoBagsGiveNoRows()
    {
        var table = Embedding.FromPretrained(Tensor.FromArray([1f, 2, 3, 4, 5, 6], 3, 2)); // frozen
        var weights = Tensor.FromArray([0.5f, 2f], 1, 2);
        weights.RequiresGrad = true;
        var y = Functional.EmbeddingBag(Ids([1, 2], 1, 2), table.Weight, mode: EmbeddingBagMode.Sum, perSampleWeights: weights);
        Assert.Equal([0.5f * 3 + 2 * 5, 0.5f * 4 + 2 * 6], y.ToArray());
        y.Sum().Backward();
        Assert.Equal([3f + 4, 5f + 6], weights.Grad!.ToArray()); // d/dw_i = Σ_d row_i[d]
        Assert.Null(table.Weight.Grad);

        Assert.Equal([0, 2], Functional.EmbeddingBag(Tensor.Zeros([0, 4]), table.Weight).Shape);
        Assert.Equal([0, 2], Functional.EmbeddingBag(Tensor.Zeros([0]), table.Weight, Tensor.Zeros([0])).Shape);
    }

    [Fact]
    public void AMeanIsOverTheRealTokensWhateverThePaddedLength()
    {
        var bag = new EmbeddingBag(10, 6, paddingIndex: 0, generator: new Generator(1));
        var lookup = Functional.Embedding(Ids([3, 7, 7, 2], 4), bag.Weight).Mean([0]).ToArray();
        var shortRow = bag.Forward(TokenSequences.Pad([[3, 7, 7, 2]], 5)).ToArray();
        var longRow = bag.Forward(TokenSequences.Pad([[3, 7, 7, 2]], 12)).ToArray();
        GradCheck.Close(lookup, shortRow, 1e-6f, 1e-6f);
        Assert.Equal(shortRow, longRow);
        // a bag of nothing but padding is zeros, in every mode
        foreach (var mode in Enum.GetValues<EmbeddingBagMode>())
            Assert.All(Functional.EmbeddingBag(Ids([0, 0, 0], 1, 3), bag.Weight, mode: mode, paddingIndex: 0).ToArray(), v => Assert.Equal(0f, v));
    }

    [Fact]
    public void TrainAndEvalGiveTheSameBagsAndThePaddingRowLearnsNothing()
    {
        var bag = new EmbeddingBag(6, 3, EmbeddingBagMode.Sum, paddingIndex: -1, generator: new Generator(2));
        Assert.Equal(5, bag.PaddingIndex);
        Assert.All(bag.Weight.ToArray().AsSpan(15, 3).ToArray(), v => Assert.Equal(0f, v));
        var x = Ids([1, 5, 2, 4, 4, 5], 2, 3);
        bag.Train();
        var train = bag.Forward(x);
        var values = train.ToArray();
        train.Sum().Backward();
        bag.Eval();
        Assert.Equal(values, bag.Forward(x).ToArray());
        var grad = bag.Weight.Grad!.ToArray();
        Assert.Equal([0f, 0f, 0f], grad[15..18]); // the padding row
        Assert.Equal([2f, 2f, 2f], grad[12..15]); // row 4, twice in the second bag
        Assert.Equal("EmbeddingBag(6, 3, mode='sum', padding_idx=5)", bag.ToString());
    }

    [Fact]
    public void FromPretrainedKeepsTheRowsAndFreezesByDefault()
    {
        // nn.EmbeddingBag.from_pretrained(w, mode="mean", padding_idx=0): the rows as given, padding still left out
        var w = Tensor.FromArray([9f, 9, 1, 2, 3, 4], 3, 2);
        var bag = EmbeddingBag.FromPretrained(w, paddingIndex: 0);
        Assert.False(bag.Weight.RequiresGrad);
        Assert.Equal([9f, 9, 1, 2, 3, 4], bag.Weight.ToArray());
        Assert.Equal([2f, 3], bag.Forward(Ids([1, 2, 0], 1, 3)).ToArray());
        w.Span[2] = 100; // a copy, not a view
        Assert.Equal(1f, bag.Weight.ToArray()[2]);
        Assert.True(EmbeddingBag.FromPretrained(w, freeze: false, mode: EmbeddingBagMode.Max).Weight.RequiresGrad);
        Assert.Contains("EmbeddingBag.FromPretrained: embeddings must be 2-D [num, dim], got shape [6]",
            Assert.Throws<ArgumentException>(() => EmbeddingBag.FromPretrained(Tensor.FromArray(new float[6], 6))).Message);
    }

    [Fact]
    public void BadBagsAreRefusedByName()
    {
        var w = Tensor.RandN([4, 2], new Generator(1));
        string Error(Action a) => Assert.Throws<ArgumentException>(a).Message;
        Assert.Contains("EmbeddingBag: index 4 is out of range for 4 embeddings", Error(() => Functional.EmbeddingBag(Ids([1, 4], 1, 2), w)));
        Assert.Contains("a 1-D input needs offsets", Error(() => Functional.EmbeddingBag(Ids([1, 2], 2), w)));
        Assert.Contains("offsets go with a 1-D input", Error(() => Functional.EmbeddingBag(Ids([1, 2], 1, 2), w, Ids([0], 1))));
        Assert.Contains("the first offset must be 0, got 1", Error(() => Functional.EmbeddingBag(Ids([1, 2, 3], 3), w, Ids([1, 2], 2))));
        Assert.Contains("offsets must not decrease, got 2 then 1 at 2", Error(() => Functional.EmbeddingBag(Ids([1, 2, 3], 3), w, Ids([0, 2, 1], 3))));
        Assert.Contains("offset 4 at 1 is not a whole number in [0, 3]", Error(() => Functional.EmbeddingBag(Ids([1, 2, 3], 3), w, Ids([0, 4], 2))));
        Assert.Contains("perSampleWeights needs mode Sum, got Mean", Error(() => Functional.EmbeddingBag(Ids([1, 2], 1, 2), w, perSampleWeights: Ids([1, 1], 1, 2))));
        Assert.Contains("perSampleWeights has shape [2], the input [1, 2]",
            Error(() => Functional.EmbeddingBag(Ids([1, 2], 1, 2), w, mode: EmbeddingBagMode.Sum, perSampleWeights: Ids([1, 1], 2))));
        Assert.Contains("with includeLastOffset the last offset must be the input's size 3, got 2",
            Error(() => Functional.EmbeddingBag(Ids([1, 2, 3], 3), w, Ids([0, 2], 2), includeLastOffset: true)));
        Assert.Contains("input must be 1-D (with offsets) or 2-D", Error(() => Functional.EmbeddingBag(Ids([1, 2], 1, 1, 2), w)));
        Assert.Contains("EmbeddingBag: paddingIndex 4 is out of range", Error(() => new EmbeddingBag(4, 2, paddingIndex: 4)));
        Assert.Contains("EmbeddingBag.FromPretrained: paddingIndex 4 is out of range", Error(() => EmbeddingBag.FromPretrained(w, paddingIndex: 4)));
        Assert.Contains("EmbeddingBag: sizes must be positive", Error(() => new EmbeddingBag(0, 2)));
    }

    [Fact]
    public void MaxNormRescalesTheRowsABagLooksUp()
    {
        var bag = new EmbeddingBag(3, 2, EmbeddingBagMode.Sum, generator: new Generator(1), maxNorm: 1f);
        using (Autograd.NoGrad())
        {
            bag.Weight.Data.AsSpan().Clear();
            bag.Weight.Data[0] = 3; bag.Weight.Data[1] = 4; // row 0: norm 5
            bag.Weight.Data[4] = 0.6f;                      // row 2: norm 0.6, left alone
        }
        bag.Forward(Ids([0, 2], 1, 2));
        GradCheck.Close([0.6f, 0.8f, 0, 0, 0.6f, 0], bag.Weight.ToArray(), 1e-6f, 1e-6f);
    }

    /// <summary>A small text classifier end to end, as the README's text example: texts through a vocabulary, padded into
    /// a dataset, random deletion in the training loader, EmbeddingBag → Linear trained by the Trainer. The class is
    /// whether the text holds one of three keywords among noise words.</summary>
    [Fact]
    public void ASmallTextClassifierLearnsFromAugmentedTokenSequences()
    {
        var g = new Generator(11);
        (string[] Texts, Tensor Labels) Draw(int count)
        {
            var texts = new string[count];
            var labels = new float[count];
            for (int i = 0; i < count; i++)
            {
                var words = new string[4 + g.NextInt(12)];
                for (int j = 0; j < words.Length; j++) words[j] = $"noise{g.NextInt(46)}";
                labels[i] = g.NextInt(2);
                if (labels[i] == 1) words[g.NextInt(words.Length)] = new[] { "great", "superb", "Loved" }[g.NextInt(3)];
                texts[i] = string.Join(' ', words) + ".";
            }
            return (texts, Tensor.FromArray(labels, count));
        }
        var (trainTexts, labels) = Draw(512);
        var (testTexts, testLabels) = Draw(256);
        var vocabulary = Vocabulary.Build(trainTexts);
        Tensor ids = TokenSequences.Pad(trainTexts.Select(vocabulary.Encode).ToArray(), length: 16);
        var loader = new DataLoader(new TensorDataset(ids, labels), 32, shuffle: true, generator: new Generator(12),
            transform: new TokenTransform(new RandomDeletion(0.1f)));
        var model = new Sequential(
            new EmbeddingBag(vocabulary.Count, 16, EmbeddingBagMode.Sum, paddingIndex: Vocabulary.Padding, generator: g),
            new Linear(16, 2, generator: g));
        var trainer = new Trainer(model, new AdamW(model.Parameters(), lr: 0.05), new CrossEntropyLoss());
        trainer.Fit(loader, epochs: 8);
        var test = new TensorDataset(TokenSequences.Pad(testTexts.Select(vocabulary.Encode).ToArray(), length: 16), testLabels);
        double accuracy = trainer.Evaluate(new DataLoader(test, 128))["accuracy"];
        Assert.True(accuracy > 0.9, $"test accuracy {accuracy}");
    }
}
