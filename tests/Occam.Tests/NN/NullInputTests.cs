using Occam.NN;

namespace Occam.Tests.NN;

/// <summary>Every layer of the library refuses a null input with an error that names the layer, in training and in
/// evaluation mode, instead of a NullReferenceException from somewhere inside.</summary>
public class NullInputTests
{
    /// <summary>One instance of each concrete public module type, built with its shortest public constructor from
    /// small values (4 for sizes, 0.5 for rates and scales).</summary>
    public static TheoryData<string> Layers()
    {
        var data = new TheoryData<string>();
        foreach (var type in ModuleTypes()) data.Add(type.Name);
        return data;
    }

    static IEnumerable<Type> ModuleTypes() =>
        typeof(Module).Assembly.GetExportedTypes()
            .Where(t => t.IsSubclassOf(typeof(Module)) && !t.IsAbstract && t != typeof(ModuleList))
            .OrderBy(t => t.Name);

    static Module Build(Type type)
    {
        var constructor = type.GetConstructors()
            .Where(c => c.GetParameters().All(p => p.IsOptional || Value(p.ParameterType) != null))
            .OrderBy(c => c.GetParameters().Count(p => !p.IsOptional))
            .First();
        var arguments = constructor.GetParameters().Select(p => p.IsOptional ? p.DefaultValue : Value(p.ParameterType)).ToArray();
        return (Module)constructor.Invoke(arguments);
    }

    static object? Value(Type type) =>
        type == typeof(int) ? 4 : type == typeof(float) ? 0.5f : type == typeof(double) ? 0.5 : type == typeof(int[]) ? new[] { 4 }
        : type == typeof(Module[]) ? new Module[] { new ReLU() } : null;

    [Theory]
    [MemberData(nameof(Layers))]
    public void NullInputIsRefusedNamingTheLayer(string name)
    {
        var module = Build(ModuleTypes().Single(t => t.Name == name));
        foreach (bool training in new[] { true, false })
        {
            module.Train(training);
            var error = Assert.Throws<ArgumentNullException>(() => module.Forward(null!));
            Assert.Contains(name, error.Message);
            using (Autograd.NoGrad())
                Assert.Throws<ArgumentNullException>(() => module.Forward(null!));
        }
    }

    [Fact]
    public void EveryLayerTypeIsCovered() => Assert.True(ModuleTypes().Count() >= 35, string.Join(", ", ModuleTypes().Select(t => t.Name)));
}
