using System.Globalization;
using System.Text.Json;

namespace Occam.Regularizers;

/// <summary>
/// Regularizers by name or config, as keras.regularizers.get: <c>Get("l2")</c> → L2(0.01), <c>Get("l1")</c> →
/// L1(0.01), <c>Get("l1_l2")</c> (or "elastic_net") → ElasticNet(0.01, 0.01), <c>Get("orthogonal_regularizer")</c> →
/// Orthogonal(0.01, rows); a config <c>{"l1": 1e-5, "l2": 1e-4}</c> → ElasticNet, <c>{"l2": 1e-4}</c> → L2,
/// <c>{"factor": 0.1, "mode": "columns"}</c> → Orthogonal; and the same as JSON, including Keras's serialized form
/// <c>{"class_name": "L1L2", "config": {"l1": 1e-5, "l2": 1e-4}}</c>.
/// </summary>
public static class Regularizers
{
    /// <summary>The names <see cref="Get(string)"/> knows (case-insensitive; "_" optional).</summary>
    public static IReadOnlyList<string> Names { get; } = ["l1", "l2", "l1_l2", "elastic_net", "orthogonal_regularizer"];

    /// <summary>A regularizer from its name with Keras's default strength, or from JSON (a quoted name, a config
    /// object, or Keras's {"class_name", "config"} object).</summary>
    public static Regularizer Get(string identifier)
    {
        ArgumentNullException.ThrowIfNull(identifier);
        var s = identifier.Trim();
        return s.StartsWith('{') || s.StartsWith('"') ? FromJson(s) : Create(s, null);
    }

    /// <summary>A regularizer from a config of strengths: keys "l1" and/or "l2" → L1, L2 or ElasticNet (both keys).</summary>
    public static Regularizer Get(IReadOnlyDictionary<string, double> config)
    {
        ArgumentNullException.ThrowIfNull(config);
        return Get(config.ToDictionary(kv => kv.Key, kv => (object?)kv.Value));
    }

    /// <summary>A regularizer from a config as <see cref="Regularizer.ToConfig"/> gives it (numbers as double, names as
    /// string): keys "l1" and/or "l2" → L1, L2 or ElasticNet; "factor" and/or "mode" → Orthogonal.</summary>
    public static Regularizer Get(IReadOnlyDictionary<string, object?> config)
    {
        ArgumentNullException.ThrowIfNull(config);
        if (config.ContainsKey("factor") || config.ContainsKey("mode")) return Create("orthogonal_regularizer", config);
        CheckKeys(config, "l1", "l2");
        bool l1 = config.ContainsKey("l1"), l2 = config.ContainsKey("l2");
        if (l1 && l2) return new ElasticNet(Number(config, "l1", 0), Number(config, "l2", 0));
        if (l1) return new L1(Number(config, "l1", 0));
        if (l2) return new L2(Number(config, "l2", 0));
        throw new ArgumentException("Regularizers.Get: empty config; expected keys l1 and/or l2, or factor and mode");
    }

    static Regularizer Create(string name, IReadOnlyDictionary<string, object?>? config)
    {
        switch (name.Replace("_", "").ToLowerInvariant())
        {
            case "l1":
                if (config != null) CheckKeys(config, "l1");
                return new L1(Number(config, "l1", 0.01));
            case "l2":
                if (config != null) CheckKeys(config, "l2");
                return new L2(Number(config, "l2", 0.01));
            case "l1l2" or "elasticnet":
                if (config == null) return new ElasticNet(0.01, 0.01); // the string "l1_l2", as Keras
                CheckKeys(config, "l1", "l2");
                return new ElasticNet(Number(config, "l1", 0), Number(config, "l2", 0)); // missing → 0, as Keras's L1L2
            case "orthogonalregularizer" or "orthogonal":
                if (config != null) CheckKeys(config, "factor", "mode");
                return new Orthogonal(Number(config, "factor", 0.01), Mode(config));
            default:
                throw new ArgumentException($"Regularizers.Get: unknown regularizer '{name}'; known: {string.Join(", ", Names)}");
        }
    }

    /// <summary>config[key] as a number (default when the config or the key is absent).</summary>
    static double Number(IReadOnlyDictionary<string, object?>? config, string key, double fallback)
    {
        if (config == null || !config.TryGetValue(key, out var value)) return fallback;
        return value switch
        {
            double d => d,
            float f => f,
            int i => i,
            long l => l,
            _ => throw new ArgumentException($"Regularizers.Get: '{key}' must be a number, got {Describe(value)}"),
        };
    }

    static OrthogonalMode Mode(IReadOnlyDictionary<string, object?>? config)
    {
        if (config == null || !config.TryGetValue("mode", out var value)) return OrthogonalMode.Rows;
        return value switch
        {
            string s when s.Equals("rows", StringComparison.OrdinalIgnoreCase) => OrthogonalMode.Rows,
            string s when s.Equals("columns", StringComparison.OrdinalIgnoreCase) => OrthogonalMode.Columns,
            OrthogonalMode m => m,
            _ => throw new ArgumentException($"Regularizers.Get: 'mode' must be \"rows\" or \"columns\", got {Describe(value)}"),
        };
    }

    static string Describe(object? value) => value switch
    {
        null => "null",
        string s => $"\"{s}\"",
        IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
        _ => value.ToString() ?? "",
    };

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
            var config = root.TryGetProperty("config", out var c) ? Values(c, json) : null;
            return Create(className.GetString() ?? "", config);
        }
        return Get(Values(root, json));
    }

    /// <summary>A JSON config object's values: numbers as double, strings as string.</summary>
    static Dictionary<string, object?> Values(JsonElement obj, string json)
    {
        if (obj.ValueKind != JsonValueKind.Object) throw new ArgumentException($"Regularizers.Get: config must be an object in '{json}'");
        var d = new Dictionary<string, object?>();
        foreach (var p in obj.EnumerateObject())
            d[p.Name] = p.Value.ValueKind switch
            {
                JsonValueKind.Number => p.Value.GetDouble(),
                JsonValueKind.String => p.Value.GetString(),
                _ => throw new ArgumentException($"Regularizers.Get: '{p.Name}' must be a number or a string, got {p.Value.GetRawText()}"),
            };
        return d;
    }

    static void CheckKeys(IReadOnlyDictionary<string, object?> config, params string[] allowed)
    {
        foreach (var key in config.Keys)
            if (!allowed.Contains(key))
                throw new ArgumentException(string.Create(CultureInfo.InvariantCulture,
                    $"Regularizers.Get: unknown config key '{key}'; expected {string.Join(" or ", allowed)}"));
    }
}
