using ExportAudit.Model;

namespace ExportAudit.Checks.Load;

/// <summary>
/// The order modprobe would load the inputs in: a module after what it depends on (depends= and the owners of
/// its imports among the inputs), ties broken by input order. A dependency cycle is broken in input order.
/// </summary>
public static class LoadOrder
{
    public static IReadOnlyList<KernelModule> Sort(IReadOnlyList<KernelModule> modules, SymbolTable kernel)
    {
        var byName = new Dictionary<string, KernelModule>(StringComparer.Ordinal);
        foreach (var module in modules)
        {
            byName.TryAdd(module.Name, module);
        }
        var exporters = new Dictionary<string, KernelModule>(StringComparer.Ordinal);
        foreach (var module in modules)
        {
            foreach (var export in module.Exports)
            {
                exporters.TryAdd(export.Name, module);
            }
        }
        // Modules are records: identity, not equal fields, tells two inputs apart.
        var identity = ReferenceEqualityComparer.Instance;
        var dependsOn = new Dictionary<object, HashSet<object>>(identity);
        foreach (var module in modules)
        {
            dependsOn[module] = new HashSet<object>(identity);
        }
        foreach (var module in modules)
        {
            foreach (var dep in module.Depends)
            {
                if (byName.TryGetValue(dep, out var target) && !ReferenceEquals(target, module))
                {
                    dependsOn[module].Add(target);
                }
            }
            foreach (var import in module.Imports)
            {
                var fromKernel = kernel.Find(import.Name);
                if ((fromKernel is null || !fromKernel.IsVmlinux) && exporters.TryGetValue(import.Name, out var owner) && !ReferenceEquals(owner, module))
                {
                    dependsOn[module].Add(owner);
                }
            }
        }
        var order = new List<KernelModule>(modules.Count);
        var done = new HashSet<object>(identity);
        while (order.Count < modules.Count)
        {
            // The first module in input order whose dependencies are loaded; if none (a cycle), the first left.
            var next = modules.FirstOrDefault(m => !done.Contains(m) && dependsOn[m].All(done.Contains))
                ?? modules.First(m => !done.Contains(m));
            order.Add(next);
            done.Add(next);
        }
        return order;
    }
}
