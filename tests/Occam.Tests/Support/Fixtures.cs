using System.Text.Json;

namespace Occam.Tests.Support;

/// <summary>Reads the PyTorch reference fixtures in tests/fixtures (copied next to the test assembly).</summary>
public static class Fixtures
{
    /// <summary>The cases of one fixture file by name (<c>{"cases": [{"name": ...}, ...]}</c>).</summary>
    public static Dictionary<string, JsonElement> Cases(string file)
    {
        var doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "fixtures", file)));
        return doc.RootElement.GetProperty("cases").EnumerateArray().ToDictionary(c => c.GetProperty("name").GetString()!);
    }

    /// <summary>Case names for a [Theory]'s MemberData.</summary>
    public static TheoryData<string> Names(IEnumerable<string> names)
    {
        var data = new TheoryData<string>();
        foreach (var name in names) data.Add(name);
        return data;
    }

    /// <summary>A tensor written as {"shape": [...], "data": [...]}.</summary>
    public static Tensor Tensor(JsonElement t) =>
        Occam.Tensor.FromArray(Floats(t.GetProperty("data")), t.GetProperty("shape").EnumerateArray().Select(v => v.GetInt32()).ToArray());

    public static float[] Floats(JsonElement array) => array.EnumerateArray().Select(v => v.GetSingle()).ToArray();

    /// <summary>True when <paramref name="key"/> is present and not null.</summary>
    public static bool Has(JsonElement e, string key) => e.TryGetProperty(key, out var v) && v.ValueKind != JsonValueKind.Null;
}
