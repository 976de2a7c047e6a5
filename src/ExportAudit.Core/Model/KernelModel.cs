namespace ExportAudit.Model;

/// <summary>A function of a kernel model and the symbols it calls, exported or not: the call graph later checks follow.</summary>
public sealed record FunctionInfo(string Name, Site? Definition, IReadOnlyList<string> Calls, bool Exported)
{
    /// <summary>Statements in the body (from source; 0 when unknown, as in models): thin wrappers rank first.</summary>
    public int Statements { get; init; }
}

/// <summary>A simulated kernel (samples/): its exports, the traits of its configuration and its call graph.</summary>
public sealed record KernelModel(
    string Name,
    string? Version,
    string? Description,
    IReadOnlyList<Export> Exports,
    IReadOnlyDictionary<string, FunctionInfo> Functions,
    KernelTraits Traits);

/// <summary>
/// What the laundering walk needs of a call graph: the functions to start from, the helpers a call goes into
/// (walked further), and the calls that reach core functions not exported at all (EA3002).
/// </summary>
public interface ICallGraph
{
    IEnumerable<FunctionInfo> Functions { get; }

    /// <summary>The helper a call from <paramref name="caller"/> goes into, to walk further; null when there is none.</summary>
    FunctionInfo? Helper(FunctionInfo caller, string callee);

    /// <summary>Whether the callee is a kernel function outside the caller's file that is not exported at all, and
    /// where it is defined when the graph knows (the evidence a reader checks).</summary>
    bool IsUnexportedCore(FunctionInfo caller, string callee, out string? definedAt);

    /// <summary>The export an exported function's own definition makes, where the graph knows it and a name may be
    /// exported in several places (a source tree's architectures each export memcpy_fromio): a walk from it reports
    /// that export, its kind and site. Null: the symbol table's export of the name.</summary>
    Export? ExportOf(FunctionInfo function) => null;

    /// <summary>Whether a call from <paramref name="caller"/> can reach the export the table has for the callee. With a
    /// source tree's .config, a caller it builds reaches only the exports it builds: without CONFIG_DEBUG_MUTEXES,
    /// mutex_destroy() is the header's empty inline, not mutex-debug.c's GPL-only export.</summary>
    bool Reaches(FunctionInfo caller, Export target) => true;
}

/// <summary>
/// A kernel model's call graph: one namespace of names. A listed function with calls is a helper to walk into;
/// every listed function that is not exported (alloc_pages_vma, walk_page_range, and helpers beyond --depth)
/// is a core function no module may call.
/// </summary>
public sealed class ModelCallGraph(IReadOnlyDictionary<string, FunctionInfo> functions) : ICallGraph
{
    public IEnumerable<FunctionInfo> Functions => functions.Values;

    public FunctionInfo? Helper(FunctionInfo caller, string callee) => functions.TryGetValue(callee, out var f) && f.Calls.Count > 0 ? f : null;

    public bool IsUnexportedCore(FunctionInfo caller, string callee, out string? definedAt)
    {
        var core = functions.TryGetValue(callee, out var f) && !f.Exported;
        definedAt = core ? f!.Definition?.ToString() : null;
        return core;
    }
}
