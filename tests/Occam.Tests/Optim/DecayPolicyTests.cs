using Occam.NN;
using Occam.Optim;

namespace Occam.Tests.Optim;

using Occam.Regularizers;

public class DecayPolicyTests
{
    /// <summary>A normalization layer known only by its type name (no INormalization marker).</summary>
    sealed class ToyLayerNorm : Module
    {
        public ToyLayerNorm(int n) => RegisterParameter("weight", new Parameter(Tensor.Ones(n)));
        public override Tensor Forward(Tensor input) => input;
    }

    sealed class Marked : Module, INormalization
    {
        public Marked(int n) => RegisterParameter("gamma", new Parameter(Tensor.Ones(n)));
        public override Tensor Forward(Tensor input) => input;
    }

    static Sequential Model() => new(
        new Embedding(10, 4, generator: new Generator(1)),
        new Linear(4, 8, generator: new Generator(2)),
        new ToyLayerNorm(8),
        new Marked(8),
        new Linear(8, 2, bias: false, generator: new Generator(3)));

    static string[] Names(Module model, ParameterGroup g)
    {
        var byRef = model.NamedParameters().ToDictionary(p => (object)p.Parameter, p => p.Name, ReferenceEqualityComparer.Instance);
        return g.Parameters.Select(p => byRef[p]).ToArray();
    }

    [Fact]
    public void BiasesNormsAndEmbeddingsGoToNoDecay()
    {
        var model = Model();
        var groups = model.ParameterGroups(DecayPolicy.ExcludeBiasAndNorm, weightDecay: 0.05);
        Assert.Equal(["decay", "no_decay"], groups.Select(g => g.Name));
        Assert.Equal(["1.weight", "4.weight"], Names(model, groups[0]));
        Assert.Equal(["0.weight", "1.bias", "2.weight", "3.gamma"], Names(model, groups[1]));
        Assert.Equal(0.05, groups[0].WeightDecay);
        Assert.Equal(0.0, groups[1].WeightDecay);
    }

    [Fact]
    public void AnEmbeddingBagsTableIsAnEmbeddingToo()
    {
        var model = new Sequential(new EmbeddingBag(10, 4, generator: new Generator(1)), new Linear(4, 2, generator: new Generator(2)));
        var groups = model.ParameterGroups(DecayPolicy.ExcludeBiasAndNorm, weightDecay: 0.05);
        Assert.Equal(["1.weight"], Names(model, groups[0]));
        Assert.Equal(["0.weight", "1.bias"], Names(model, groups[1]));
    }

    [Fact]
    public void DecayGroupTakesTheOptimizersDefaultWhenUnset()
    {
        var opt = new AdamW(Model().ParameterGroups(), lr: 1e-3);
        Assert.Equal(0.01, opt.Groups[0].WeightDecay);
        Assert.Equal(0.0, opt.Groups[1].WeightDecay);
    }

    [Fact]
    public void AllIsOneGroup()
    {
        var model = Model();
        var groups = model.ParameterGroups(DecayPolicy.All, 1e-4);
        var g = Assert.Single(groups);
        Assert.Equal("all", g.Name);
        Assert.Equal(model.Parameters().Count(), g.Parameters.Count);
    }

    [Fact]
    public void NegativeDecayIsRejected() =>
        Assert.Equal("ParameterGroups: weightDecay must be non-negative, got -0.1",
            Assert.Throws<ArgumentException>(() => Model().ParameterGroups(weightDecay: -0.1)).Message);

    [Fact]
    public void BadPerGroupAndEnumSettingsAreRejected()
    {
        var group = new ParameterGroup(Model().Parameters(), "g", momentum: -0.5);
        Assert.Equal("RMSprop: momentum of group 'g' must be non-negative, got -0.5", Assert.Throws<ArgumentException>(() => new RMSprop([group])).Message);
        var negative = new ParameterGroup(Model().Parameters(), "h", l1Proximal: -1);
        Assert.Contains("l1Proximal of group 'h' must be non-negative", Assert.Throws<ArgumentException>(() => new SGD([negative], lr: 0.1)).Message);
        Assert.Contains("StochasticDepth: mode must be Row or Batch", Assert.Throws<ArgumentException>(() => new StochasticDepth(0.1f, (StochasticDepthMode)5)).Message);
        var sgd = new SGD(Model().Parameters(), lr: 0.1);
        Assert.Contains("SwaLR: annealStrategy must be Cos or Linear", Assert.Throws<ArgumentException>(() => new Occam.Optim.Schedulers.SwaLR(sgd, 0.01, annealStrategy: (Occam.Optim.Schedulers.AnnealStrategy)9)).Message);
    }

    [Fact]
    public void AuditListsEveryParameterWithItsEffectiveDecay()
    {
        var model = new Sequential(new Linear(3, 4, generator: new Generator(1), kernelRegularizer: new L2(0.001)),
            new Linear(4, 2, generator: new Generator(2)));
        var frozen = model.NamedParameters().Single(p => p.Name == "1.weight").Parameter;
        frozen.RequiresGrad = false;
        var opt = new AdamW(model.ParameterGroups(weightDecay: 0.1), lr: 1e-3);
        var audit = DecayAudit.Of(opt, model);

        Assert.Equal(["0.weight", "0.bias", "1.weight", "1.bias"], audit.Rows.Select(r => r.Name));
        var w0 = audit.Rows[0];
        Assert.Equal(("decay", 0.1, DecayCoupling.Decoupled, true), (w0.Group, w0.Decay, w0.Coupling, w0.Trainable));
        Assert.Equal([4, 3], w0.Shape);
        Assert.Equal("L2(l2=0.001)", w0.Regularizer);
        Assert.Equal(("no_decay", 0.0), (audit.Rows[1].Group, audit.Rows[1].Decay));
        Assert.Equal(("decay", 0.0, false), (audit.Rows[2].Group, audit.Rows[2].Decay, audit.Rows[2].Trainable));
        Assert.Equal(12, audit.DecayedElements);

        var lines = audit.ToString().Split('\n');
        Assert.Equal(6, lines.Length);
        Assert.StartsWith("parameter", lines[0]);
        int col = lines[0].IndexOf("group", StringComparison.Ordinal);
        Assert.All(lines[1..5], l => Assert.True(l[col..].StartsWith("decay ") || l[col..].StartsWith("no_decay "), l));
        Assert.Contains("frozen", lines[3]);
        Assert.Contains("decoupled", lines[1]);
        Assert.Equal("AdamW: 12 of 26 parameter elements decayed", lines[5]);
    }

    [Fact]
    public void AuditShowsCoupledDecayAndParametersOutsideTheOptimizer()
    {
        var model = new Sequential(new Linear(2, 2), new Linear(2, 1));
        var first = (Linear)model.Children().First();
        var opt = new SGD(first.Parameters(), lr: 0.1, weightDecay: 1e-4);
        var audit = DecayAudit.Of(opt, model);
        Assert.All(audit.Rows, r => Assert.Equal(DecayCoupling.Coupled, r.Coupling));
        Assert.Equal(("all", 1e-4), (audit.Rows[0].Group, audit.Rows[0].Decay));
        Assert.Null(audit.Rows[2].Group);
        Assert.Equal(0.0, audit.Rows[2].Decay);
        Assert.Contains("(not in optimizer)", audit.ToString());
        Assert.DoesNotContain("regularizer", audit.ToString());
    }
}
