using ExportAudit.Checks.Load;
using ExportAudit.Model;
using ExportAudit.Tests.Support;

namespace ExportAudit.Tests.Checks.Load;

internal static class Sim
{
    public static (IReadOnlyList<ModuleLoadResult> Loads, LoadSimulator Simulator) Run(Export[] kernel, KernelTraits? traits, params KernelModule[] modules)
    {
        var simulator = new LoadSimulator(Make.Table(kernel), traits ?? KernelTraits.Unknown);
        return (simulator.LoadAll(modules), simulator);
    }

    public static string[] Lines(ModuleLoadResult load) => load.Log.Select(l => l.Text).ToArray();

    public static KernelModule Gpl(string name, string[] imports, int index = 0) =>
        Make.Module(name, ["GPL"], imports, index: index) with { InTree = true };

    public static KernelModule Prop(string name, string[] imports, int index = 0, Export[]? exports = null) =>
        Make.Module(name, ["Proprietary"], imports, exports: exports, index: index) with { InTree = true };
}
