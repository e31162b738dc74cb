namespace Occam.Tests.Regularizers;

using Occam.Regularizers;

public class RegistryTests
{
    [Fact]
    public void NamesGiveKerasDefaults()
    {
        Assert.Equal(0.01, Assert.IsType<L2>(Regularizers.Get("l2")).Strength);
        Assert.Equal(0.01, Assert.IsType<L1>(Regularizers.Get("L1")).Strength);
        var en = Assert.IsType<ElasticNet>(Regularizers.Get("l1_l2"));
        Assert.Equal((0.01, 0.01), (en.L1Strength, en.L2Strength));
        Assert.IsType<ElasticNet>(Regularizers.Get("elastic_net"));
    }

    [Fact]
    public void ConfigWithBothKeysIsElasticNet()
    {
        var en = Assert.IsType<ElasticNet>(Regularizers.Get(new Dictionary<string, double> { ["l1"] = 1e-5, ["l2"] = 1e-4 }));
        Assert.Equal((1e-5, 1e-4), (en.L1Strength, en.L2Strength));
        Assert.Equal(1e-4, Assert.IsType<L2>(Regularizers.Get(new Dictionary<string, double> { ["l2"] = 1e-4 })).Strength);
        Assert.Equal(1e-5, Assert.IsType<L1>(Regularizers.Get(new Dictionary<string, double> { ["l1"] = 1e-5 })).Strength);
    }

    [Fact]
    public void ConfigRoundTrips()
    {
        foreach (Regularizer r in new Regularizer[] { new L1(0.3), new L2(0.2), new ElasticNet(0.1, 0.4) })
        {
            var back = Regularizers.Get(r.ToConfig());
            Assert.Equal(r.GetType(), back.GetType());
            Assert.Equal(r.ToConfig(), back.ToConfig());
        }
    }

    [Fact]
    public void JsonForms()
    {
        Assert.IsType<L2>(Regularizers.Get("\"l2\""));
        var en = Assert.IsType<ElasticNet>(Regularizers.Get("{\"l1\": 1e-5, \"l2\": 1e-4}"));
        Assert.Equal((1e-5, 1e-4), (en.L1Strength, en.L2Strength));
        Assert.Equal(0.5, Assert.IsType<L1>(Regularizers.Get("{\"l1\": 0.5}")).Strength);
        var keras = Assert.IsType<ElasticNet>(Regularizers.Get("{\"class_name\": \"L1L2\", \"config\": {\"l1\": 0.001}}"));
        Assert.Equal((0.001, 0.0), (keras.L1Strength, keras.L2Strength));
        Assert.Equal(0.3, Assert.IsType<L2>(Regularizers.Get("{\"class_name\": \"L2\", \"config\": {\"l2\": 0.3}}")).Strength);
    }

    [Fact]
    public void UnknownNameListsTheKnownOnes()
    {
        var e = Assert.Throws<ArgumentException>(() => Regularizers.Get("l3"));
        Assert.Equal("Regularizers.Get: unknown regularizer 'l3'; known: l1, l2, l1_l2, elastic_net, orthogonal_regularizer", e.Message);
        Assert.Contains("'dropout'", Assert.Throws<ArgumentException>(() => Regularizers.Get("\"dropout\"")).Message);
    }

    [Fact]
    public void BadConfigsAreRejected()
    {
        Assert.Contains("unknown config key 'l3'", Assert.Throws<ArgumentException>(() => Regularizers.Get(new Dictionary<string, double> { ["l3"] = 1 })).Message);
        Assert.Contains("empty config", Assert.Throws<ArgumentException>(() => Regularizers.Get(new Dictionary<string, double>())).Message);
        Assert.Contains("invalid JSON", Assert.Throws<ArgumentException>(() => Regularizers.Get("{\"l1\": ")).Message);
        Assert.Contains("'l1' must be a number", Assert.Throws<ArgumentException>(() => Regularizers.Get("{\"l1\": \"x\"}")).Message);
        Assert.StartsWith("L1: l1 must be", Assert.Throws<ArgumentException>(() => Regularizers.Get("{\"l1\": -1}")).Message);
    }
}
