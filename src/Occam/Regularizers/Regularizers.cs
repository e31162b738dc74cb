using System.Globalization;
using System.Text.Json;

namespace Occam.Regularizers;

/// <summary>
/// Regularizers by name or config, as keras.regularizers.get: <c>Get("l2")</c> → L2(0.01), <c>Get("l1")</c> →
/// L1(0.01), <c>Get("l1_l2")</c> (or "elastic_net") → ElasticNet(0.01, 0.01); a config
/// <c>{"l1": 1e-5, "l2": 1e-4}</c> → ElasticNet, <c>{"l2": 1e-4}</c> → L2; and the same as JSON, including
/// Keras's serialized form <c>{"class_name": "L1L2", "config": {"l1": 1e-5, "l2": 1e-4}}</c>.
/// </summary>
public static class Regularizers
{
    /// <summary>The names <see cref="Get(string)"/> knows (case-insensitive; "_" optional).</summary>
    public static IReadOnlyList<string> Names { get; } = ["l1", "l2", "l1_l2", "elastic_net"];

    /// <summary>A regularizer from its name with Keras's default strength, or from JSON (a quoted name, a config
    /// object, or Keras's {"class_name", "config"} object).</summary>
    public static Regularizer Get(string identifier)
    {
        ArgumentNullException.ThrowIfNull(identifier);
        var s = identifier.Trim();
        return s.StartsWith('{') || s.StartsWith('"') ? FromJson(s) : Create(s, null);
    }

    /// <summary>A regularizer from a config: keys "l1" and/or "l2" → L1, L2 or ElasticNet (both keys).</summary>
    public static Regularizer Get(IReadOnlyDictionary<string, double> config)
    {
        ArgumentNullException.ThrowIfNull(config);
        CheckKeys(config, "l1", "l2");
        bool l1 = config.ContainsKey("l1"), l2 = config.ContainsKey("l2");
        if (l1 && l2) return new ElasticNet(config["l1"], config["l2"]);
        if (l1) return new L1(config["l1"]);
        if (l2) return new L2(config["l2"]);
        throw new ArgumentException("Regularizers.Get: empty config; expected keys l1 and/or l2");
    }

    static Regularizer Create(string name, IReadOnlyDictionary<string, double>? config)
    {
        switch (name.Replace("_", "").ToLowerInvariant())
        {
            case "l1":
                if (config != null) CheckKeys(config, "l1");
                return new L1(config?.GetValueOrDefault("l1", 0.01) ?? 0.01);
            case "l2":
                if (config != null) CheckKeys(config, "l2");
                return new L2(config?.GetValueOrDefault("l2", 0.01) ?? 0.01);
            case "l1l2" or "elasticnet":
                if (config == null) return new ElasticNet(0.01, 0.01); // the string "l1_l2", as Keras
                CheckKeys(config, "l1", "l2");
                return new ElasticNet(config.GetValueOrDefault("l1"), config.GetValueOrDefault("l2")); // missing → 0, as Keras's L1L2
            default:
                throw new ArgumentException($"Regularizers.Get: unknown regularizer '{name}'; known: {string.Join(", ", Names)}");
        }
    }

    static Regularizer FromJson(string json)
    {
        JsonElement root;
        try { root = JsonDocument.Parse(json).RootElement; }
        catch (JsonException e) { throw new ArgumentException($"Regularizers.Get: invalid JSON '{json}': {e.Message}", e); }
        if (root.ValueKind == JsonValueKind.String) return Create(root.GetString()!, null);
        if (root.ValueKind != JsonValueKind.Object)
            throw new ArgumentException($"Regularizers.Get: expected a name or an object, got JSON {root.ValueKind}: '{json}'");
        if (root.TryGetProperty("class_name", out var className))
        {
            if (className.ValueKind != JsonValueKind.String)
                throw new ArgumentException($"Regularizers.Get: class_name must be a string, got {className.GetRawText()}");
            var config = root.TryGetProperty("config", out var c) ? Numbers(c, json) : null;
            return Create(className.GetString() ?? "", config);
        }
        return Get(Numbers(root, json));
    }

    static Dictionary<string, double> Numbers(JsonElement obj, string json)
    {
        if (obj.ValueKind != JsonValueKind.Object) throw new ArgumentException($"Regularizers.Get: config must be an object in '{json}'");
        var d = new Dictionary<string, double>();
        foreach (var p in obj.EnumerateObject())
        {
            if (p.Value.ValueKind != JsonValueKind.Number)
                throw new ArgumentException($"Regularizers.Get: '{p.Name}' must be a number, got {p.Value.GetRawText()}");
            d[p.Name] = p.Value.GetDouble();
        }
        return d;
    }

    static void CheckKeys(IReadOnlyDictionary<string, double> config, params string[] allowed)
    {
        foreach (var key in config.Keys)
            if (!allowed.Contains(key))
                throw new ArgumentException(string.Create(CultureInfo.InvariantCulture,
                    $"Regularizers.Get: unknown config key '{key}'; expected {string.Join(" or ", allowed)}"));
    }
}
